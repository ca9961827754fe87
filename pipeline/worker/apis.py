"""Endpoints for external processing workers (contract §2.3 summary PUT, §2.5, §2.6, §2.11 POST,
and the buyer profile PUT).

Authenticated by the service token (``pipeline.worker.auth``), not by a seller's JWT. The two
that share a path with the app's views are routed by ``chirpworks.routing.view_dispatch``.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies import services as agency_services
from chirpworks.exceptions import ApplicationError
from insights import buyer_selectors
from insights.buyer_serializers import (
    BuyerProfileUpdateInputSerializer,
    BuyerProfileUpdateOutputSerializer,
)
from meetings import job_selectors, job_services, performance_services
from meetings.models import Job
from pipeline.selectors import job_worker_context
from pipeline.services import meeting_update_summary_from_worker
from pipeline.worker.auth import HasWorkerServiceToken, WorkerServiceTokenAuthentication
from pipeline.worker.serializers import (
    AudioUrlOutputSerializer,
    CallSummaryInputSerializer,
    CallSummaryOutputSerializer,
    JobContextOutputSerializer,
    JobIdInputSerializer,
    JobStatusOutputSerializer,
    MessageOutputSerializer,
    MetricsInputSerializer,
    MetricsOutputSerializer,
    TranscriptionInputSerializer,
    TranscriptionOutputSerializer,
    UpdateStatusInputSerializer,
    UpdateStatusOutputSerializer,
)

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error, code}"),
    401: OpenApiResponse(description="Missing or wrong service token: {error, code, msg}"),
    403: OpenApiResponse(description="Worker endpoints disabled (no token configured)"),
    404: OpenApiResponse(description="Not found: {error, code}"),
}


class WorkerApi(APIView):
    authentication_classes = []
    permission_classes = [HasWorkerServiceToken]


def _job_status(job: Job) -> dict:
    return {
        "job_id": job.pk,
        "meeting_id": job.meeting_id,
        "status": job.status,
        "start_time": job.started_at,
        "end_time": job.finished_at,
        "s3_audio_url": job_selectors.job_audio_url(job=job),
    }


class JobByMeetingApi(WorkerApi):
    @extend_schema(tags=["worker"], responses={200: JobStatusOutputSerializer, **ERRORS})
    def get(self, request: Request, meeting_id) -> Response:
        job = job_selectors.job_get_by_meeting(meeting_id=meeting_id)
        return Response(JobStatusOutputSerializer(_job_status(job)).data)


class JobStatusApi(WorkerApi):
    @extend_schema(tags=["worker"], responses={200: JobStatusOutputSerializer, **ERRORS})
    def get(self, request: Request, job_id) -> Response:
        job = job_selectors.job_get(job_id=job_id)
        body = _job_status(job)
        body.pop("meeting_id")
        return Response(JobStatusOutputSerializer(body).data)


class JobUpdateStatusApi(WorkerApi):
    @extend_schema(
        tags=["worker"],
        request=UpdateStatusInputSerializer,
        responses={200: UpdateStatusOutputSerializer, 409: OpenApiResponse(), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = UpdateStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = job_selectors.job_get(job_id=data.validated_data["job_id"])
        job = job_services.job_transition(
            job=job, status=data.validated_data["status"], error=data.validated_data["error"]
        )
        body = {
            "message": f"Job status updated to {job.status}",
            "job_id": job.pk,
            "status": job.status,
            "start_time": job.started_at,
            "end_time": job.finished_at,
        }
        return Response(UpdateStatusOutputSerializer(body).data)


class JobAudioUrlApi(WorkerApi):
    @extend_schema(tags=["worker"], responses={200: AudioUrlOutputSerializer, **ERRORS})
    def get(self, request: Request, job_id) -> Response:
        job = job_selectors.job_get(job_id=job_id)
        body = {"job_id": job.pk, "s3_audio_url": job_selectors.job_audio_url(job=job)}
        return Response(AudioUrlOutputSerializer(body).data)


class JobTranscriptionApi(WorkerApi):
    @extend_schema(
        tags=["worker"],
        request=TranscriptionInputSerializer,
        responses={200: TranscriptionOutputSerializer, **ERRORS},
    )
    def put(self, request: Request, job_id) -> Response:
        data = TranscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = job_selectors.job_get(job_id=job_id)
        meeting = job_services.job_set_transcription(
            job=job, transcription=data.validated_data["transcription"]
        )
        body = {
            "message": "Transcription updated successfully",
            "job_id": job.pk,
            "meeting_id": meeting.pk,
            "transcription_updated": True,
        }
        return Response(TranscriptionOutputSerializer(body).data)


class JobContextApi(WorkerApi):
    @extend_schema(tags=["worker"], responses={200: JobContextOutputSerializer, **ERRORS})
    def get(self, request: Request, job_id) -> Response:
        job = job_selectors.job_get(job_id=job_id)
        return Response(JobContextOutputSerializer(job_worker_context(job=job)).data)


class TriggerAnalysisApi(WorkerApi):
    @extend_schema(
        tags=["worker"],
        request=JobIdInputSerializer,
        responses={200: MessageOutputSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = JobIdInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = job_selectors.job_get(job_id=data.validated_data["job_id"])
        job_services.job_trigger_analysis(job=job)
        body = {"message": f"Analysis task triggered successfully for job_id: {job.pk}"}
        return Response(MessageOutputSerializer(body).data)


class CallSummaryApi(WorkerApi):
    @extend_schema(
        tags=["worker"],
        request=CallSummaryInputSerializer,
        responses={200: CallSummaryOutputSerializer, **ERRORS},
    )
    def put(self, request: Request, meeting_id) -> Response:
        if not request.data:
            raise ApplicationError("No data provided", code="no_data")
        CallSummaryInputSerializer(data=request.data).is_valid(raise_exception=True)
        meeting = job_selectors.meeting_get_for_worker(meeting_id=meeting_id)
        result = meeting_update_summary_from_worker(meeting=meeting, data=request.data)
        body = {"id": meeting.pk, "message": "Meeting analysis data updated successfully", **result}
        return Response(CallSummaryOutputSerializer(body).data)


class CallMetricsApi(WorkerApi):
    @extend_schema(
        tags=["worker"],
        request=MetricsInputSerializer,
        responses={201: MetricsOutputSerializer, 200: MetricsOutputSerializer, **ERRORS},
        # the path's description, shared with the app's GET and DELETE on it
        description="GET and DELETE for the app (access token); POST for processing workers "
        "(service token).",
    )
    def post(self, request: Request, meeting_id) -> Response:
        if not request.data:
            raise ApplicationError("No data provided", code="no_data")
        data = MetricsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = job_selectors.meeting_get_for_worker(meeting_id=meeting_id)
        values = dict(data.validated_data)
        performance, created = performance_services.call_performance_upsert(
            meeting=meeting,
            data=values,
            overall_score=values.pop("overall_score", None),
            analyzed_at=values.pop("analyzed_at", None),
        )
        body = {
            "message": "Call performance created" if created else "Call performance updated",
            "call_performance": performance,
        }
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(MetricsOutputSerializer(body).data, status=code)


class BuyerProfileUpdateApi(APIView):
    """A worker's ``PUT buyers/profile/<id>``: any buyer's profile, from its analysis."""

    authentication_classes = [WorkerServiceTokenAuthentication]
    permission_classes = [HasWorkerServiceToken]

    @extend_schema(
        tags=["buyers"],
        request=BuyerProfileUpdateInputSerializer,
        responses={200: BuyerProfileUpdateOutputSerializer, **ERRORS},
    )
    def put(self, request: Request, buyer_id) -> Response:
        buyer = buyer_selectors.buyer_get_for_worker(buyer_id=buyer_id)
        data = BuyerProfileUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        buyer = agency_services.buyer_update_profile(
            buyer=buyer, data=data.validated_data, actor=None
        )
        body = buyer_selectors.buyer_profile_update_row(buyer)
        return Response(BuyerProfileUpdateOutputSerializer(body).data)
