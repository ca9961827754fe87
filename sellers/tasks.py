import logging

from celery import shared_task

from sellers.services import tokens_cleanup

logger = logging.getLogger(__name__)


@shared_task
def cleanup_tokens() -> None:
    result = tokens_cleanup(dry_run=False)
    logger.info(
        "Token cleanup: %s refresh tokens, %s access tokens",
        result.refresh_tokens,
        result.access_tokens,
    )
