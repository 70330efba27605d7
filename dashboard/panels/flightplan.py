"""Flight-plan panel: pattern, home, altitude → a checked plan, previewed on the map, downloadable, uploadable."""

from __future__ import annotations

import streamlit as st

from dashboard import loaders
from dashboard.i18n import t
from dashboard.panels.context import Context
from firewatch.errors import FirewatchError
from firewatch.model import Incident

#: Default take-off point when none is configured: 500 m south of the incident (metres → degrees of latitude at
#: 111,320 m per degree), inside any typical launch radius; the operator edits it to the real launch site.
_DEFAULT_HOME_OFFSET_DEG = 500.0 / 111_320.0
_MIME = {".plan": "application/json", ".waypoints": "text/plain", ".kmz": "application/vnd.google-earth.kmz"}


def flight_plan_panel(ctx: Context, incident: Incident | None) -> None:
    """Draw the panel for the selected incident."""
    lang = ctx.lang
    if incident is None:
        st.caption(t("none_selected", lang))
        return
    from dashboard import planning  # flightplans and the terrain stack load on first use, not on every page

    home = ctx.config.home_latlon or (incident.lat - _DEFAULT_HOME_OFFSET_DEG, incident.lon)
    with st.form("plan_form"):
        pattern = st.radio(t("pattern", lang), planning.PATTERNS, horizontal=True, key="plan_pattern",
                           format_func=lambda p: t(f"pattern_{p}", lang))
        left, right, alt = st.columns(3)
        home_lat = left.number_input(t("home_lat", lang), value=float(home[0]), format="%.6f", key="plan_home_lat")
        home_lon = right.number_input(t("home_lon", lang), value=float(home[1]), format="%.6f", key="plan_home_lon")
        altitude = alt.number_input(t("altitude_agl", lang), min_value=20.0, max_value=150.0, value=100.0, step=10.0,
                                    key="plan_altitude")
        submitted = st.form_submit_button(t("generate_plan", lang))
    if submitted:
        try:
            incidents = loaders.incidents(ctx.db_url, ctx.window.start, ctx.window.end)
            planned = planning.make_plan(pattern, incident, incidents=incidents, home_latlon=(home_lat, home_lon),
                                         altitude_agl_m=altitude, dem_path=ctx.config.dem_path,
                                         no_fly_paths=ctx.config.no_fly_zones)
        except FirewatchError as exc:
            st.session_state.pop("plan", None)
            st.session_state.pop("plan_geojson", None)
            st.error(t("plan_failed", lang, error=exc))
            return
        st.session_state.plan = planned
        st.session_state.plan_geojson = planned.geojson
        st.session_state.plan_incident = incident.incident_id
    planned = st.session_state.get("plan")
    if planned is None or st.session_state.get("plan_incident") != incident.incident_id:
        return
    waypoints = sum(f.waypoints for f in planned.report.flights)
    st.success(t("plan_summary", lang, distance_km=planned.report.distance_m / 1000.0,
                 duration_min=planned.report.duration_s / 60.0, waypoints=waypoints))
    columns = st.columns(max(1, len(planned.files)))
    for column, (name, data) in zip(columns, planned.files.items()):
        suffix = name[name.rfind("."):]
        column.download_button(t("download", lang, fmt=name), data=data, file_name=name,
                               mime=_MIME.get(suffix, "application/octet-stream"), key=f"dl-{name}")
    flights = planned.mission.flights()
    sortie = 1
    if len(flights) > 1:
        sortie = st.selectbox(t("sortie", lang), list(range(1, len(flights) + 1)), key="plan_sortie")
    connection = st.text_input(t("connection", lang), key="plan_connection", disabled=ctx.read_only)
    if st.button(t("upload", lang), disabled=ctx.read_only or not connection, key="plan_upload"):
        _upload(ctx, flights[sortie - 1], connection)


def _upload(ctx: Context, flight, connection: str) -> None:
    """Upload one flight and read it back (flightplans.vehicle); read-only sessions never get here."""
    from flightplans.mission import mav_items
    from flightplans.vehicle.upload import upload_items

    if ctx.read_only:
        st.error(t("read_only", ctx.lang))
        return
    try:
        result = upload_items(mav_items(flight), connection, planned_home=flight.home)
    except FirewatchError as exc:
        st.error(t("upload_failed", ctx.lang, error=exc))
        return
    st.success(t("upload_ok", ctx.lang, count=result.items))
