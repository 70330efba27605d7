"""Firewatch operations map — the Streamlit entry point (``firewatch dashboard`` runs it).

Thin: the sidebar builds the session's context, a fragment refreshes the live part (banner, counts, map, alerts)
every ``refresh_s`` seconds, and the tabs below show the selected incident and its flight plan. Data come only
through :mod:`dashboard.loaders`. Environment: ``FIREWATCH_DB_URL`` (store), ``FIREWATCH_CONFIG`` (firewatch.toml).
"""

from __future__ import annotations

import os

import streamlit as st

from dashboard import loaders
from dashboard.config import load_dashboard_config
from dashboard.errors import DashboardConfigError
from dashboard.i18n import t
from dashboard.panels.flightplan import flight_plan_panel
from dashboard.panels.incident import incident_detail, incident_picker
from dashboard.panels.live import live
from dashboard.panels.sidebar import sidebar

#: Hangul needs a CJK font; Noto Sans CJK KR comes with Debian's fonts-noto-cjk (installed by the setup).
_FONT_CSS = """<style>
html, body, [class*="st-"], .stMarkdown, .leaflet-container {
  font-family: "Noto Sans CJK KR", "Noto Sans KR", "Source Han Sans K", sans-serif; }
</style>"""


def main() -> None:
    st.set_page_config(page_title="Firewatch", page_icon="🔥", layout="wide")
    st.markdown(_FONT_CSS, unsafe_allow_html=True)
    try:
        config = load_dashboard_config(os.environ.get("FIREWATCH_CONFIG") or None)
    except DashboardConfigError as exc:
        st.error(str(exc))
        st.stop()
    ctx = sidebar(config, loaders.db_url())
    st.title(t("title", ctx.lang))
    st.fragment(run_every=config.refresh_s)(live)(ctx)
    detail_tab, plan_tab = st.tabs([t("detail", ctx.lang), t("flight_plan", ctx.lang)])
    with detail_tab:
        incident = incident_picker(ctx)
        if incident is not None:
            incident_detail(ctx, incident)
    with plan_tab:
        flight_plan_panel(ctx, incident)


main()
