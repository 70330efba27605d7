"""``firewatch upload``: send a mission file to a vehicle and prove it arrived (MISSION_ACK + read-back)."""

from __future__ import annotations

from pathlib import Path

import typer

HELP = """Upload a QGroundControl .plan or QGC WPL 110 (.waypoints) mission to a vehicle over MAVLink, confirm \
MISSION_ACK and read the mission back to compare item by item.

임무 파일(.plan / .waypoints)을 기체에 업로드하고 MISSION_ACK 확인 후 다시 읽어 비교합니다.

The vehicle's home is read first; a home more than 50 m from the plan's planned home is refused (the plan's \
altitudes are relative to it). ArduPilot is uploaded with dronekit; autopilots that request MISSION_REQUEST_INT \
(PX4, MAVSDK) with the MAVLink mission protocol through pymavlink.

Examples / 예시:

  firewatch upload orbit.plan --connect udp:0.0.0.0:14550

  firewatch upload route-sortie1.waypoints --connect tcp:192.168.1.10:5760 --method pymavlink --timeout 10
"""


def upload_command(
    plan: Path = typer.Argument(..., exists=True, dir_okay=False, help="Mission file (.plan or .waypoints). 임무 파일."),
    connect: str = typer.Option(..., "--connect", help="MAVLink connection, e.g. udp:0.0.0.0:14550 (listen), "
                                "tcp:HOST:PORT, /dev/ttyUSB0. 연결 문자열."),
    method: str = typer.Option("auto", "--method", help="auto | dronekit | pymavlink. 업로드 방식."),
    timeout: float = typer.Option(5.0, "--timeout", min=0.1, help="Seconds to wait for each mission message. "
                                  "메시지 대기 시간 (초)."),
    heartbeat_timeout: float = typer.Option(10.0, "--heartbeat-timeout", min=0.1,
                                            help="Seconds to wait for the vehicle's HEARTBEAT. 기체 응답 대기 (초)."),
) -> None:
    from flightplans.vehicle.upload import upload_mission_file

    result = upload_mission_file(plan, connect, method=method, timeout_s=timeout,
                                 heartbeat_timeout_s=heartbeat_timeout)
    home = (f"{result.vehicle_home.lat:.6f},{result.vehicle_home.lon:.6f} "
            f"({result.home_offset_m:.1f} m from the planned home)" if result.vehicle_home and
            result.home_offset_m is not None else "not reported / 미보고")
    typer.echo(f"uploaded / 업로드 완료: {result.items} items via {result.method} ({result.request_type}), "
               "MISSION_ACK accepted, read back and identical / 재확인 일치")
    typer.echo(f"vehicle home / 기체 홈: {home}")


def register(app: typer.Typer) -> None:
    """Add ``firewatch upload`` to the CLI."""
    app.command("upload", help=HELP)(upload_command)
