"""`make bench`: run the benchmarks and write their tables to bench/results/."""

from __future__ import annotations

import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def main(argv: list[str]) -> None:
    from bench import enforcement, ingest, monitoring, registry, standards

    reuse = "--reuse" in argv
    names = [a for a in argv if not a.startswith("--")] or [
        "standards",
        "monitoring",
        "ingest",
        "registry",
        "enforcement",
        "enforcement-teams",
        "dual-prevention",
        "assessment",
        "web",
        "alarm-flood",
    ]
    RESULTS.mkdir(exist_ok=True)
    for name in names:
        if name == "registry":
            scale = "nation"
            table = registry.run(scale, reuse=reuse)
            (RESULTS / "registry.md").write_text(table)
            sys.stdout.write(table)
        elif name == "standards":
            table = standards.run()
            (RESULTS / "standards.md").write_text(table)
            sys.stdout.write(table)
        elif name == "ingest":
            table = ingest.run()  # one file per database: ZHIBEN_BENCH_DATABASE_URL picks it
            kind = "postgresql" if "PostgreSQL" in table.split("database:", 1)[1][:40] else "sqlite"
            (RESULTS / f"ingest-{kind}.md").write_text(table)
            sys.stdout.write(table)
        elif name == "monitoring":
            table = monitoring.run()
            (RESULTS / "monitoring.md").write_text(table)
            sys.stdout.write(table)
        elif name == "enforcement-teams":
            from bench import enforcement_teams

            table = enforcement_teams.run()
            (RESULTS / "enforcement-teams.md").write_text(table)
            sys.stdout.write(table)
        elif name == "dual-prevention":
            from bench import dual_prevention

            table = dual_prevention.run()
            (RESULTS / "dual-prevention.md").write_text(table)
            sys.stdout.write(table)
        elif name == "web":
            from bench import web

            table = web.run(reuse=reuse)
            (RESULTS / "web.md").write_text(table)
            sys.stdout.write(table)
        elif name == "assessment":
            from bench import assessment

            table = assessment.run()
            (RESULTS / "assessment.md").write_text(table)
            sys.stdout.write(table)
        elif name == "alarm-flood":
            from bench import alarm_flood

            section = alarm_flood.run()  # one section per database: ZHIBEN_BENCH_DATABASE_URL picks it
            path = RESULTS / "alarm-flood.md"
            path.write_text(alarm_flood.merge(path.read_text() if path.exists() else "", section))
            sys.stdout.write(section)
        elif name == "enforcement":
            table = enforcement.run()
            (RESULTS / "enforcement.md").write_text(table)
            sys.stdout.write(table)


if __name__ == "__main__":
    main(sys.argv[1:])
