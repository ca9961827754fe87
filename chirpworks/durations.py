"""Call durations in the contract's display format: ``"45s"``, ``"3m 5s"``, ``"1h 2m"``."""


def duration_format(seconds: int | float | None) -> str:
    """Seconds as the mobile app shows them; hours drop the seconds, as the old backend did."""
    total = max(0, int(seconds or 0))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m {total % 60}s"
    return f"{total // 3600}h {total % 3600 // 60}m"
