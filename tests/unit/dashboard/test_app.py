"""The Streamlit app through streamlit.testing.v1.AppTest: panels and their state on a real store."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard.launcher import APP_PATH

_TIMEOUT_S = 60


def _app(monkeypatch, url: str, config: Path | None = None, read_only: bool = False) -> AppTest:
    monkeypatch.setenv("FIREWATCH_DB_URL", url)
    monkeypatch.setenv("FIREWATCH_DASHBOARD_READ_ONLY", "1" if read_only else "0")
    if config is not None:
        monkeypatch.setenv("FIREWATCH_CONFIG", str(config))
    else:
        monkeypatch.delenv("FIREWATCH_CONFIG", raising=False)
    at = AppTest.from_file(str(APP_PATH), default_timeout=_TIMEOUT_S)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _listed(at: AppTest) -> set[str]:
    """Incident ids offered by the incident picker (options read "id · state · FRP")."""
    return {option.split(" · ")[0] for option in at.selectbox[0].options}


def _ack_buttons(at: AppTest):
    return [b for b in at.button if (b.key or "").startswith("ack-")]


def test_page_renders_banner_counts_alerts_and_survives_bad_records(monkeypatch, seeded):
    at = _app(monkeypatch, seeded["url"])
    texts = " ".join(m.value for m in at.markdown)
    newest = seeded["recent"]["incidents"][0]
    assert "fw-new-incident" in texts and newest in texts               # the banner names the new incident
    assert "진행 중" in texts and "미확인 경보" in texts
    assert len(_ack_buttons(at)) == seeded["recent"]["alerts"] + seeded["old"]["alerts"]
    # seeded bad data: incident index 1 has no perimeter, frame index 2 has no footprint — page still whole
    no_perimeter = seeded["recent"]["incidents"][1]
    at.selectbox[0].select(no_perimeter).run()
    assert not at.exception
    assert at.metric[0].label == "상태"


def test_acknowledge_needs_a_name_and_keeps_the_alert_in_the_log(monkeypatch, seeded):
    at = _app(monkeypatch, seeded["url"])
    first = _ack_buttons(at)[0]
    alert_id = first.key.removeprefix("ack-")
    first.click().run()
    assert any("근무자 이름" in w.value for w in at.warning)             # no operator name yet
    assert not seeded["store"].alerts()[0]["acknowledged"]
    at.sidebar.text_input(key="operator").input("김소방").run()
    next(b for b in _ack_buttons(at) if b.key == f"ack-{alert_id}").click().run()
    assert not at.exception
    row = next(a for a in seeded["store"].alerts() if a["alert_id"] == alert_id)
    assert [a["operator"] for a in row["acknowledgements"]] == ["김소방"]
    assert all(b.key != f"ack-{alert_id}" for b in _ack_buttons(at))       # no second acknowledgement
    assert any("확인: 김소방" in c.value for c in at.caption)             # still listed, with who
    assert len(seeded["store"].alerts()) == seeded["recent"]["alerts"] + seeded["old"]["alerts"]


def test_read_only_role_cannot_acknowledge(monkeypatch, seeded):
    at = _app(monkeypatch, seeded["url"], read_only=True)
    assert _ack_buttons(at) and all(b.disabled for b in _ack_buttons(at))
    assert any("읽기 전용" in w.value for w in at.sidebar.warning)


def test_time_filter_changes_what_is_listed(monkeypatch, seeded):
    at = _app(monkeypatch, seeded["url"])
    assert _listed(at) == set(seeded["recent"]["incidents"] + seeded["old"]["incidents"])  # shift
    at.sidebar.radio(key="time_choice").set_value("last_hour").run()
    assert _listed(at) == set(seeded["recent"]["incidents"])
    at.sidebar.radio(key="time_choice").set_value("all_time").run()
    assert len(_listed(at)) == 12


def test_language_switch(monkeypatch, seeded):
    at = _app(monkeypatch, seeded["url"])
    assert at.title[0].value == "산불 감시 상황도"
    at.sidebar.radio(key="lang").set_value("en").run()
    assert at.title[0].value == "Wildfire operations map" and not at.exception


def test_plan_generation_previews_and_offers_downloads(monkeypatch, seeded, dem_path, tmp_path):
    config = tmp_path / "firewatch.toml"
    config.write_text(f'[dashboard]\ndem_path = "{dem_path.name}"\n', encoding="utf-8")
    at = _app(monkeypatch, seeded["url"], config=config)
    incident = seeded["recent"]["incidents"][0]
    at.selectbox[0].select(incident).run()
    at.radio(key="plan_pattern").set_value("orbit")
    submit = next(b for b in at.button if "계획 만들기" in b.label)
    submit.click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("km" in s.value and "경유점" in s.value for s in at.success)
    plan = at.session_state["plan_geojson"]
    kinds = {f["properties"]["kind"] for f in plan["features"]}
    assert {"home", "waypoint", "path"} <= kinds
    assert sorted(at.session_state["plan"].files) == sorted(
        [f"{incident}-orbit.kmz", f"{incident}-orbit.plan", f"{incident}-orbit.waypoints"])


def test_plan_without_dem_says_what_to_configure(monkeypatch, seeded):
    at = _app(monkeypatch, seeded["url"])
    at.selectbox[0].select(seeded["recent"]["incidents"][0]).run()
    next(b for b in at.button if "계획 만들기" in b.label).click().run()
    assert any("dem_path" in e.value for e in at.error)


def test_missing_store_is_reported_not_crashed(monkeypatch, tmp_path):
    at = _app(monkeypatch, f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}")
    assert any("저장소를 열 수 없습니다" in e.value for e in at.error)


def test_read_only_role_cannot_upload_a_plan(monkeypatch, seeded, dem_path, tmp_path):
    config = tmp_path / "firewatch.toml"
    config.write_text(f'[dashboard]\ndem_path = "{dem_path.name}"\n', encoding="utf-8")
    at = _app(monkeypatch, seeded["url"], config=config, read_only=True)
    at.selectbox[0].select(seeded["recent"]["incidents"][0]).run()
    next(b for b in at.button if "계획 만들기" in b.label).click().run()
    assert at.session_state["plan_geojson"]                 # planning and downloading stay allowed
    assert at.text_input(key="plan_connection").disabled and at.button(key="plan_upload").disabled


def test_login_required_stops_the_page_until_logged_in(monkeypatch, seeded, tmp_path):
    config = tmp_path / "firewatch.toml"
    config.write_text("[dashboard]\nrequire_login = true\n", encoding="utf-8")
    at = _app(monkeypatch, seeded["url"], config=config)
    assert [b.label for b in at.button] == ["로그인"]
    assert any("로그인이 필요합니다" in i.value for i in at.info)
    assert not at.title and not _ack_buttons(at)          # nothing of the operations picture leaks


def test_an_alert_link_opens_its_incident(monkeypatch, seeded):
    from alerts.payloads.geojson import incident_link

    incident = seeded["recent"]["incidents"][0]
    link = incident_link("http://ops.example:8501/", incident)  # what the webhook and CAP messages carry
    monkeypatch.setenv("FIREWATCH_DB_URL", seeded["url"])
    monkeypatch.setenv("FIREWATCH_DASHBOARD_READ_ONLY", "0")
    monkeypatch.delenv("FIREWATCH_CONFIG", raising=False)
    at = AppTest.from_file(str(APP_PATH), default_timeout=_TIMEOUT_S)
    at.query_params["incident"] = link.split("incident=")[1]
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox[0].value == incident
