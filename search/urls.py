from django.urls import path

from search.apis import SearchAnswerApi, SearchApi

urlpatterns = [
    path("", SearchApi.as_view(), name="search"),
    path("answer", SearchAnswerApi.as_view(), name="search-answer"),
]
