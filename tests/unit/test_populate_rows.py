"""The populate probe's raw metrics: spread over a week, none in the hour a release's rollup reaches next."""

from datetime import datetime, timedelta, timezone

from upgrade_suite.probes.populate_rows import METRIC_WINDOW_MINUTES, metric_timestamp


def test_no_raw_metric_falls_in_the_last_full_hour_whatever_the_minute_of_the_clock():
    for minute in range(0, 60, 7):
        now = datetime(2026, 12, 3, 18, minute, 30, tzinfo=timezone.utc)
        last_full_hour = datetime(2026, 12, 3, 17, tzinfo=timezone.utc)
        stamps = [metric_timestamp(index, now) for index in range(5000)]
        assert not [s for s in stamps if last_full_hour <= s < last_full_hour + timedelta(hours=1)], minute
        assert min(stamps) >= now - timedelta(minutes=METRIC_WINDOW_MINUTES) - timedelta(hours=1)
        assert any(s > datetime(2026, 12, 3, 18, tzinfo=timezone.utc) for s in stamps), "the current hour keeps rows"
        assert any(s < last_full_hour for s in stamps), "older hours keep rows, for the rollup to work on"
