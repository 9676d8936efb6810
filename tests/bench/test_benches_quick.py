"""Every bench's --quick run, so the benchmarks keep working as the code under them changes.

A quick run is the bench's own code path with tiny sizes (docs/benchmarks.md). Its figures are
not judged (a benchmark does not pass or fail): the run must exit 0 and end with its one JSON
line, naming the bench, saying quick, and holding the bench's figures as numbers. Each bench
starts its own devstack on free ports in a process of its own, with none of this process's
devstack settings in its environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # about 130 s in all (2 CPUs, idle): left out of `make check`

FIGURES = {
    "audit": ("append_events_per_s", "retries_per_event", "append_events_per_s_many_chains",
              "append_events_per_s_single_writer", "lost_events_one_chain", "checkpoint_s",
              "verify_s", "verify_s_per_100k_events"),
    "clips": ("stream_copy_ms", "reencode_fps", "reencode_fps_per_cpu_s", "reencode_psnr_db",
              "reencode_ssim", "peak_mb", "poster_ms", "contact_sheet_s", "clip_ready_s",
              "package_ready_s"),
    "beyond": ("spanish_untranslated", "masked_reencode_fps", "bridge_mask_cpu_percent_of_core",
               "timeline_open_to_synced_frame_s", "timeline_first_frame_s",
               "timeline_drift_frames", "activity_marker_recall", "activity_marker_precision"),
    "cold_artifact": ("zip_mb", "init_median_s", "first_answer_median_s",
                      "first_byte_median_s", "warm_median_s"),
    "cold_start": ("python_median_s", "flask_median_s", "app_median_s", "ratio_app_to_flask",
                   "network_calls"),
    "cost": ("dollars_per_month",),
    "geo": ("read_amplification_max", "query_calls_max", "filter_ms_per_1000_max",
            "request_p50_ms_300m", "csv_import_130_rows_s"),
    "live": ("bridge_cpu_percent_of_core", "bridge_rss_mean_mb", "buffer_memory_mb",
             "buffer_disk_mb_10min", "cpu_percent_per_camera", "glass_to_glass_delay_s",
             "frames_decoded", "upload_p50_s", "ready_to_first_shown_p50_s"),
    "load": ("requests_total", "rps", "errors", "server_errors_5xx", "lost_writes",
             "p95_ms_all", "audit_verified", "audit_verified_under_load", "dead_letters"),
    "login_latency": ("p50_ms", "p95_ms", "form_p50_ms", "argon2_verify_p50_ms",
                      "argon2_share_of_p50"),
    "privacy": ("hidden_search_best_error_m_min", "hidden_search_audit_events",
                "hidden_request_errors_best_error_m_min", "approximate_search_best_error_m_min",
                "approximate_search_probes"),
    "push": ("messages_per_second", "ms_per_message", "dynamodb_share", "encrypt_ms_per_message",
             "bare_ecdh_aesgcm_ms", "vapid_sign_ms_per_message", "payload_bytes"),
    "realtime": ("time_to_first_frame_s", "glass_to_glass_delay_s", "glass_to_glass_p95_s",
                 "idle_bridge_requests_per_hour", "idle_bridge_bytes_per_hour",
                 "idle_bridge_mqtt_messages_per_hour", "wall_16_tiles_cpu_percent",
                 "dropped_frames_per_minute", "s3_puts_per_watched_camera_hour",
                 "dollars_per_watched_camera_hour"),
}
# These drive Chromium (Debian's, which `make test` installs first).
BROWSER = {"beyond", "live", "realtime"}
# The nine whose quick runs take 20 to 50 s each (many processes, bridges, a browser, a
# devstack of their own): about 4.5 min of the suite's CPU for no product test, which kept
# `make test` near 15 minutes on the 2-core machine. `make bench-smoke` runs them; `make test`
# does not.
HEAVY = {"beyond", "clips", "cost", "geo", "live", "load", "login_latency", "privacy",
         "realtime"}


def _marks(name: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.e2e] * (name in BROWSER) + [pytest.mark.heavy_bench] * (name in HEAVY)


@pytest.mark.parametrize("name", [pytest.param(name, marks=_marks(name))
                                  for name in sorted(FIGURES)])
def test_quick_run_ends_with_its_figures(name: str) -> None:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "PORCHLIGHT_", "DEVSTACK_", "POWERTOOLS_"))}
    done = subprocess.run([sys.executable, "-m", f"bench.{name}", "--quick"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=280, check=False)
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert (figures["bench"], figures["quick"]) == (name, True)
    for key in FIGURES[name]:
        value = figures.get(key)
        assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
