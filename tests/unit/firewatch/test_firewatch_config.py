"""The composed configuration: the README's sample loads, errors name the file and key, secrets are never echoed,
relative paths resolve against the file, environment overrides apply."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from firewatch.config import load_config, validate_config
from firewatch.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_readme_sample_configuration_is_valid():
    block = re.search(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
    config = validate_config(tomllib.loads(block.replace("whsec_…", SECRET)), source="README.md")
    assert config.cameras[0].camera_id == "tower-1" and config.cameras[0].mast_height_m == 20.0
    assert config.alerts.endpoints[0].formats == ["geojson", "cap"]
    assert config.flightplans.safety.ceiling_agl_m == 150.0


def test_errors_name_the_file_and_key_and_never_echo_a_secret(tmp_path):
    path = tmp_path / "firewatch.toml"
    path.write_text(f'[detection]\nbogus_threshold = 3\n\n[[alerts.endpoints]]\nname = "x"\nurl = "ftp://h/"\n'
                    f'secret = "{SECRET}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and "detection.bogus_threshold" in message and "alerts.endpoints.0" in message
    assert SECRET not in message and "MfKQ9r8" not in message


def test_paths_resolve_against_the_file_and_environment_overrides(tmp_path):
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "firewatch.toml"
    path.write_text('[terrain]\ndem = "dem.tif"\n[masks]\nfiles = ["m.geojson"]\n', encoding="utf-8")
    config = load_config(path, environ={})
    assert config.terrain.dem == tmp_path / "conf" / "dem.tif"
    assert config.masks.files == [tmp_path / "conf" / "m.geojson"]
    assert config.dashboard.dem_path == config.terrain.dem  # the map's hillshade falls back to the terrain DEM
    overridden = load_config(path, environ={"FIREWATCH_DB_URL": "sqlite:////tmp/x.db"})
    assert overridden.store.url == "sqlite:////tmp/x.db"


def test_no_file_means_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config.source is None and config.store.url == "sqlite:///firewatch.db"
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
