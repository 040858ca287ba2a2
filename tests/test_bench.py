"""The benchmark's verdicts (tests/bench/harness.py), on made-up measurements."""

from __future__ import annotations

from tests.bench.harness import Measurement, Report, check_targets

SERVICE = ["health", "users_me", "items_list_100", "items_create", "login"]


def _report(**changes: Measurement) -> Report:
    measurements = {
        name: Measurement(name, 100.0, 1.0, 5.0, 0, ratio_to_bare=0.5, new_db_sessions=0)
        for name in [*SERVICE, "health_while_login_hammered"]
    }
    measurements.update(changes)
    return Report(
        machine="test",
        database="postgresql+asyncpg",
        settings_note="",
        connections=32,
        measurements=list(measurements.values()),
        overload={"health_probe_failures": 0, "recovery_seconds": 0.1},
    )


def test_info_logs_are_judged_against_health_at_warning() -> None:
    cheap = Measurement("health", 95.0, 1.0, 5.0, 0, ratio_to_bare=0.46)
    dear = Measurement("health", 70.0, 1.0, 5.0, 0, ratio_to_bare=0.35)
    quiet = Measurement("health_warning_logs", 100.0, 1.0, 5.0, 0, ratio_to_bare=0.5)

    assert check_targets(_report(health=cheap, health_warning_logs=quiet))["info_logs"].endswith(
        ": met"
    )
    assert check_targets(_report(health=dear, health_warning_logs=quiet))["info_logs"].startswith(
        "INFO costs 30% on health"
    )


def test_a_pool_filling_up_is_not_churn_but_more_sessions_than_clients_is() -> None:
    growing = Measurement("users_me", 100.0, 1.0, 5.0, 0, ratio_to_bare=0.5, new_db_sessions=6)
    churning = Measurement("users_me", 100.0, 1.0, 5.0, 0, ratio_to_bare=0.5, new_db_sessions=400)

    assert check_targets(_report(users_me=growing))["connection_churn"].endswith(": met")
    assert check_targets(_report(users_me=churning))["connection_churn"].endswith(": MISSED")


def test_without_session_counts_there_is_no_churn_verdict() -> None:
    report = _report()
    for measurement in report.measurements:
        measurement.new_db_sessions = None

    assert "connection_churn" not in check_targets(report)


def test_database_endpoints_are_judged_against_their_floor() -> None:
    near = Measurement("users_me", 95.0, 1.0, 5.0, 0, ratio_to_bare=0.095, floor_ratio_to_bare=0.1)
    far = Measurement("users_me", 60.0, 1.0, 5.0, 0, ratio_to_bare=0.06, floor_ratio_to_bare=0.1)

    assert check_targets(_report(users_me=near))["users_me"].startswith("95% of the floor")
    assert check_targets(_report(users_me=near))["users_me"].endswith(": met")
    assert check_targets(_report(users_me=far))["users_me"].endswith(": MISSED")


def test_a_run_without_floors_has_no_floor_verdicts() -> None:
    assert "users_me" not in check_targets(_report())
