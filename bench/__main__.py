import importlib
import pkgutil
import sys
import time
from pathlib import Path

here = Path(__file__).resolve().parent
only = sys.argv[1:]
names = sorted(i.name for i in pkgutil.iter_modules([str(here)]) if i.name.startswith("bench_"))
missed = []
for name in names:
    if only and not any(o in name for o in only):
        continue
    print(f"\n=== {name}", flush=True)
    started = time.perf_counter()
    results = importlib.import_module(f"bench.{name}").main() or []
    for target, ok in results:
        print(f"  {'PASS' if ok else 'MISS'}  {target}")
        if not ok:
            missed.append(f"{name}: {target}")
    print(f"  ({time.perf_counter() - started:.1f} s)")
print("\n=== summary:", "all targets met" if not missed else f"{len(missed)} target(s) missed")
for m in missed:
    print("  MISS", m)
