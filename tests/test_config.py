"""Settings from a TOML file and the environment."""
from contactcenter.config import load_settings


def test_toml_takes_the_variables_short_names_and_the_settings_own_and_env_wins(tmp_path):
    path = tmp_path / "cc.toml"
    path.write_text('db = "sqlite:////srv/cc.db"\ntz = "Asia/Urumqi"\nsecret_key = "k"\narea_code = "0531"\n'
                    'panel_proxies = 1\n[redial]\nmax_attempts = 6\n', encoding="utf-8")
    s = load_settings(env={}, config_file=str(path))
    assert (s.db_url, s.site_timezone, s.panel_secret_key, s.area_code) == ("sqlite:////srv/cc.db", "Asia/Urumqi", "k", "0531")
    assert s.extra == {"panel_proxies": 1, "redial": {"max_attempts": 6}}
    s = load_settings(env={"CONTACTCENTER_TZ": "Asia/Shanghai"}, config_file=str(path))
    assert s.site_timezone == "Asia/Shanghai"
