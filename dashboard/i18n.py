"""Operator-facing text in Korean and English (switchable in the sidebar).

``t(key, lang)`` returns the text; ``{name}`` placeholders are filled from keyword arguments. A missing key is a
programming error caught by the tests (every key has both languages).
"""

from __future__ import annotations

LANGUAGES: dict[str, str] = {"ko": "한국어", "en": "English"}

_TEXT: dict[str, tuple[str, str]] = {
    # key: (Korean, English)
    "title": ("산불 감시 상황도", "Wildfire operations map"),
    "language": ("언어", "Language"),
    "time_filter": ("기간", "Time range"),
    "last_hour": ("최근 1시간", "Last hour"),
    "shift": ("이번 근무 ({hours:g}시간)", "This shift ({hours:g} h)"),
    "all_time": ("전체", "All"),
    "custom": ("직접 지정", "Custom"),
    "from": ("시작", "From"),
    "to": ("끝", "To"),
    "time_anchor": ("기준 시각", "Reference time"),
    "anchor_now": ("현재 시각", "Now"),
    "anchor_latest": ("최신 자료 시각", "Newest data"),
    "operator": ("근무자 이름", "Operator name"),
    "read_only": ("읽기 전용: 경보 확인과 업로드를 할 수 없습니다.", "Read-only: you cannot acknowledge or upload."),
    "login_required": ("로그인이 필요합니다.", "Please log in."),
    "login": ("로그인", "Log in"),
    "logout": ("로그아웃", "Log out"),
    "new_incident_banner": ("새로 확인된 산불 {count}건: {ids}", "{count} newly confirmed fire(s): {ids}"),
    "no_store": ("저장소를 열 수 없습니다: {error}", "Cannot open the store: {error}"),
    "stats": ("진행 중 {open}건 · 핫스팟 {hotspots}개 · 프레임 {frames}장 · 미확인 경보 {unacked}건",
              "{open} open incidents · {hotspots} hotspots · {frames} frames · {unacked} unacknowledged alerts"),
    "refreshed": ("갱신 {time} (#{tick})", "Updated {time} (#{tick})"),
    "refresh_now": ("지금 갱신", "Refresh now"),
    "alerts": ("경보", "Alerts"),
    "no_alerts": ("경보가 없습니다.", "No alerts."),
    "acknowledge": ("확인", "Acknowledge"),
    "acknowledged_by": ("확인: {operator} ({time})", "Acknowledged by {operator} ({time})"),
    "need_operator": ("먼저 사이드바에 근무자 이름을 입력하세요.", "Enter the operator name in the sidebar first."),
    "delivery": ("전송", "Delivery"),
    "select_incident": ("산불 선택", "Select incident"),
    "none_selected": ("지도를 누르거나 목록에서 산불을 고르세요.", "Click an incident on the map or pick one."),
    "no_incidents": ("이 기간에 산불이 없습니다.", "No incidents in this time range."),
    "detail": ("상세", "Details"),
    "state": ("상태", "State"),
    "confidence": ("신뢰도", "Confidence"),
    "area": ("면적 (m²)", "Area (m²)"),
    "frp": ("복사열 출력 FRP (kW)", "Fire radiative power FRP (kW)"),
    "max_temp": ("최고 온도 (°C)", "Peak temperature (°C)"),
    "first_seen": ("최초 탐지", "First seen"),
    "last_seen": ("최근 탐지", "Last seen"),
    "sources": ("탐지 장비", "Sources"),
    "looks": ("관측 횟수", "Looks"),
    "time": ("시각", "Time"),
    "timeline": ("시간에 따른 면적과 FRP", "Area and FRP over time"),
    "no_history": ("이력이 아직 없습니다.", "No history yet."),
    "frames_saw": ("이 산불을 본 프레임", "Frames that saw it"),
    "no_frames": ("프레임이 없습니다.", "No frames."),
    "thumb_unavailable": ("미리보기 없음: {error}", "No preview: {error}"),
    "no_perimeter": ("경계 없음 (중심점만 표시)", "No perimeter (centre shown)"),
    "conf_class_low": ("낮음", "low"),
    "conf_class_nominal": ("보통", "nominal"),
    "conf_class_high": ("높음", "high"),
    "state_candidate": ("후보", "candidate"),
    "state_confirmed": ("확인됨", "confirmed"),
    "state_active": ("진행 중", "active"),
    "state_quiet": ("소강", "quiet"),
    "state_closed": ("종료", "closed"),
    "why_looks": ("서로 다른 관측 {looks}회에서 보였습니다", "seen in {looks} distinct looks"),
    "why_one_look": ("한 번만 관측되었습니다 (두 번째 관측이 필요)", "seen in one look only (a second look is needed)"),
    "why_sources": ("장비 {count}대가 보았습니다 ({names})", "seen by {count} sources ({names})"),
    "why_hot": ("최고 {temp_c:.0f} °C: 햇볕으로는 도달할 수 없는 온도 (약 75 °C 이상)",
                "peak {temp_c:.0f} °C: hotter than the sun can heat a surface (about 75 °C)"),
    "why_warm": ("최고 {temp_c:.0f} °C: 햇볕에 달궈진 바위나 지붕일 수도 있음",
                 "peak {temp_c:.0f} °C: could also be sun-heated rock or a roof"),
    "why_masked": ("알려진 열원(마스크) 안에 있어 경보하지 않습니다", "inside a known heat-source mask: never alerts"),
    "confidence_words": ("신뢰도 {cls} ({value:.0%}): {reasons}.", "Confidence {cls} ({value:.0%}): {reasons}."),
    "flight_plan": ("비행 계획", "Flight plan"),
    "pattern": ("비행 형태", "Pattern"),
    "pattern_orbit": ("선회 (orbit)", "Orbit"),
    "pattern_survey": ("격자 촬영 (survey)", "Survey"),
    "pattern_route": ("여러 산불 경로 (route)", "Route over incidents"),
    "home_lat": ("이륙 지점 위도", "Home latitude"),
    "home_lon": ("이륙 지점 경도", "Home longitude"),
    "altitude_agl": ("지면 위 고도 (m)", "Altitude above ground (m)"),
    "generate_plan": ("계획 만들기", "Generate plan"),
    "plan_summary": ("거리 {distance_km:.2f} km · 시간 {duration_min:.1f}분 · 경유점 {waypoints}개",
                     "{distance_km:.2f} km · {duration_min:.1f} min · {waypoints} waypoints"),
    "plan_failed": ("계획을 만들 수 없습니다: {error}", "Cannot make a plan: {error}"),
    "download": ("내려받기 {fmt}", "Download {fmt}"),
    "connection": ("기체 연결 문자열 (예: udp:127.0.0.1:14550)", "Vehicle connection (e.g. udp:127.0.0.1:14550)"),
    "sortie": ("비행 차수 (배터리)", "Sortie (battery)"),
    "upload": ("기체로 업로드", "Upload to vehicle"),
    "upload_ok": ("업로드 후 읽어 확인했습니다: 항목 {count}개", "Uploaded and read back: {count} items"),
    "upload_failed": ("업로드 실패: {error}", "Upload failed: {error}"),
    "layer_hillshade": ("지형 음영 (오프라인)", "Hillshade (offline)"),
    "layer_osm": ("OpenStreetMap (온라인)", "OpenStreetMap (online)"),
    "layer_vworld": ("브이월드 (온라인)", "VWorld (online)"),
    "layer_incidents": ("산불 경계", "Incident perimeters"),
    "layer_hotspots": ("핫스팟 (FRP 크기)", "Hotspots (sized by FRP)"),
    "layer_cameras": ("고정 카메라 시야", "Fixed camera views"),
    "layer_footprints": ("드론 촬영 범위", "Drone frame footprints"),
    "layer_thermal": ("최신 열화상 정사영상", "Latest thermal orthophoto"),
    "layer_nofly": ("비행 금지 구역", "No-fly zones"),
    "layer_masks": ("알려진 열원 마스크", "Known heat-source masks"),
    "layer_plan": ("제안 비행 경로", "Suggested flight path"),
    "legend_c": ("온도 (°C)", "Temperature (°C)"),
    "layer_error": ("지도 층을 그릴 수 없습니다: {error}", "Cannot draw a map layer: {error}"),
}


def t(key: str, lang: str = "ko", /, **values: object) -> str:
    """The text for ``key`` in ``lang`` (``ko`` or ``en``) with ``{placeholders}`` filled from ``values``."""
    korean, english = _TEXT[key]
    text = korean if lang == "ko" else english
    return text.format(**values) if values else text


def keys() -> list[str]:
    """Every text key (for tests)."""
    return list(_TEXT)
