"""Incident detail: numbers, confidence in words, area and FRP over time, the frames that saw it."""

from __future__ import annotations

import streamlit as st

from dashboard import loaders
from dashboard.errors import DashboardError
from dashboard.i18n import t
from dashboard.panels.context import Context
from dashboard.summaries import explain_confidence, local_time
from firewatch.errors import FirewatchError
from firewatch.model import Incident

#: Thumbnails shown per incident: two rows of four fit the panel; the rest are a click away in the CLI.
MAX_THUMBNAILS = 8


def incident_picker(ctx: Context) -> Incident | None:
    """Select box of the incidents in the time window (map clicks set the same selection)."""
    try:
        incidents = loaders.incidents(ctx.db_url, ctx.window.start, ctx.window.end)
    except FirewatchError as exc:
        st.error(t("no_store", ctx.lang, error=exc))
        return None
    if not incidents:
        st.caption(t("no_incidents", ctx.lang))
        return None
    by_id = {i.incident_id: i for i in incidents}
    # A click on the map leaves its choice in ``map_selection``; it becomes the widget's value here, before the
    # widget is drawn (the one moment Streamlit lets code set a widget). A choice outside the time window is dropped.
    clicked = st.session_state.pop("map_selection", None)
    if clicked is None and "link_opened" not in st.session_state:
        # an alert's link (``?incident=ID``, alerts.payloads.geojson.incident_link) opens that incident, once
        st.session_state.link_opened = True
        clicked = st.query_params.get("incident")
    if clicked in by_id:
        st.session_state.selected_incident = clicked
    if st.session_state.get("selected_incident") not in by_id:
        st.session_state.selected_incident = None
    chosen = st.selectbox(t("select_incident", ctx.lang), list(by_id), key="selected_incident",
                          placeholder=t("none_selected", ctx.lang),
                          format_func=lambda i: f"{i} · {t('state_' + by_id[i].state, ctx.lang)} · "
                                                f"{by_id[i].max_frp_kw:,.0f} kW")
    return by_id.get(chosen) if chosen else None


def incident_detail(ctx: Context, incident: Incident) -> None:
    """Draw the detail of one incident."""
    lang = ctx.lang
    cols = st.columns(5)
    cols[0].metric(t("state", lang), t(f"state_{incident.state}", lang))
    cols[1].metric(t("area", lang), f"{incident.area_m2:,.0f}")
    cols[2].metric(t("frp", lang), f"{incident.max_frp_kw:,.0f}")
    cols[3].metric(t("max_temp", lang), f"{incident.max_temp_k - 273.15:,.0f}")
    cols[4].metric(t("looks", lang), f"{incident.look_count}")
    st.markdown(explain_confidence(incident, lang))
    st.caption(f"{t('first_seen', lang)}: {local_time(incident.first_seen, ctx.config.timezone)} · "
               f"{t('last_seen', lang)}: {local_time(incident.last_seen, ctx.config.timezone)} · "
               f"{t('sources', lang)}: {', '.join(incident.sources)} ({', '.join(incident.source_kinds)})")
    st.markdown(f"**{t('timeline', lang)}**")
    try:
        history = loaders.incident_history(ctx.db_url, incident.incident_id)
    except FirewatchError as exc:
        st.error(t("no_store", lang, error=exc))
        history = []
    if history:
        import altair as alt  # only when a timeline is drawn: keeps the first page load light
        import pandas as pd

        frame = pd.DataFrame(history)
        # wall-clock time in the operator's zone, without the zone (the browser would re-convert aware times),
        # on a 24-hour axis
        frame["time"] = (pd.to_datetime(frame["time"], utc=True).dt.tz_convert(ctx.config.timezone)
                         .dt.tz_localize(None))
        x_axis = alt.X("time:T", axis=alt.Axis(format="%H:%M"),
                       title=f"{t('time', lang)} ({local_time(incident.last_seen, ctx.config.timezone).split()[-1]})")
        left, right = st.columns(2)
        for column, field, key in ((left, "area_m2", "area"), (right, "max_frp_kw", "frp")):
            chart = alt.Chart(frame).mark_line(point=True).encode(x=x_axis, y=alt.Y(f"{field}:Q", title=t(key, lang)))
            column.altair_chart(chart, width="stretch")
    else:
        st.caption(t("no_history", lang))
    st.markdown(f"**{t('frames_saw', lang)}**")
    try:
        frames = loaders.incident_frames(ctx.db_url, incident.incident_id, MAX_THUMBNAILS)
    except FirewatchError as exc:
        st.error(t("no_store", lang, error=exc))
        return
    if not frames:
        st.caption(t("no_frames", lang))
        return
    columns = st.columns(4)
    for index, frame in enumerate(frames):
        with columns[index % 4]:
            label = f"{frame.get('source_id')} · {local_time(frame.get('time'), ctx.config.timezone)}"
            try:
                if not frame.get("path"):
                    raise DashboardError(f"frame {frame.get('frame_id')} has no file path recorded")
                thumb = loaders.thumbnail(frame["path"])
            except DashboardError as exc:
                st.caption(f"{label}: {t('thumb_unavailable', lang, error=exc)}")
                continue
            st.image(thumb.png, caption=f"{label} · {thumb.low_c:.0f}–{thumb.high_c:.0f} °C")
