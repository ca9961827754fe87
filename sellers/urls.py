from django.urls import path

from sellers import apis

auth_urlpatterns = [
    path("signup", apis.SignupApi.as_view(), name="auth-signup"),
    path("login", apis.LoginApi.as_view(), name="auth-login"),
    path("refresh", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("logout", apis.LogoutApi.as_view(), name="auth-logout"),
    path("reset_password", apis.ResetPasswordApi.as_view(), name="auth-reset-password"),
    path("generate_test_token", apis.GenerateTestTokenApi.as_view(), name="auth-test-token"),
]

user_urlpatterns = [
    path("set_manager", apis.SetManagerApi.as_view(), name="user-set-manager"),
]
