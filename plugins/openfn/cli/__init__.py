"""``openfn-airflow``: the one command for what surrounds a deployment (``make`` calls it on a checkout).

    openfn-airflow js install           OpenFn's runtime and the locked adaptors into [openfn] js_dir
    openfn-airflow adaptors install     every adaptor version the projects name that is missing
    openfn-airflow adaptors add <spec>  one more adaptor version (http, http@7.2.10, @openfn/language-http@7.2.10)
    openfn-airflow check [<folder>...]  every error of the projects at once; exit status 1 if any
    openfn-airflow credentials <folder> credential values out of a project file, into Airflow Connections
    openfn-airflow export <folder>      a Lightning project back in Lightning's format
    openfn-airflow paths                where the settings point: jobs folder, JavaScript folder, Node.js

Settings are Airflow's (``[openfn]`` in airflow.cfg or ``AIRFLOW__OPENFN__*``); ``--jobs-dir`` and
``--js-dir`` override them for one command. Run it where Airflow is configured: on each worker for ``js``
and ``adaptors`` (or in the image they run), anywhere for ``check`` and ``export``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

USAGE_EXIT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openfn-airflow", description="OpenFn on Airflow: set-up and project tools.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n")[1])  # fmt: skip
    parser.add_argument("--jobs-dir", type=Path, help="the folder of project folders (default: [openfn] jobs_dir)")
    parser.add_argument("--js-dir", type=Path, help="the JavaScript runtime's folder (default: [openfn] js_dir)")
    commands = parser.add_subparsers(dest="command", metavar="command", required=True)

    js = commands.add_parser("js", help="the JavaScript runtime").add_subparsers(dest="action", metavar="action", required=True)
    js.add_parser("install", help="install OpenFn's runtime and the adaptor versions of the lock into js_dir (npm ci)")

    adaptors = commands.add_parser("adaptors", help="adaptor versions for JavaScript jobs").add_subparsers(dest="action", metavar="action", required=True)
    adaptors.add_parser("install", help="install every adaptor version the projects name and js_dir lacks; list what the registry cannot give")
    add = adaptors.add_parser("add", help="add adaptor versions: http, http@7.2.10 or @openfn/language-http@7.2.10 (none: the newest)")
    add.add_argument("specs", nargs="+", metavar="spec")

    check = commands.add_parser("check", help="load project folders and print every error at once; exit status 1 if any")
    check.add_argument("folders", nargs="*", type=Path, metavar="folder", help="project folders or folders of them (default: jobs_dir)")

    commands.add_parser("credentials", help="move credential values out of a project file into Airflow Connections", add_help=False)
    commands.add_parser("export", help="write a Lightning project back in Lightning's format", add_help=False)
    commands.add_parser("paths", help="print the folders and the Node.js binary the settings name")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    # the settings are read once per process: overrides go into the environment before the first read
    if args.jobs_dir:
        os.environ["AIRFLOW__OPENFN__JOBS_DIR"] = str(args.jobs_dir.resolve())
    if args.js_dir:
        os.environ["AIRFLOW__OPENFN__JS_DIR"] = str(args.js_dir.resolve())
    if args.command in ("credentials", "export"):
        return _delegate(args.command, argv[argv.index(args.command) + 1:])
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")

    from openfn.cli.javascript import CommandError

    try:
        return _run(args)
    except CommandError as error:
        print(f"openfn-airflow {args.command}: {error}", file=sys.stderr)
        return 1


def _delegate(command: str, argv: list[str]) -> int:
    if command == "credentials":
        from openfn.tools import credentials as tool
    else:
        from openfn.tools import export as tool
    return tool.main(argv, prog=f"openfn-airflow {command}")


def _run(args: argparse.Namespace) -> int:
    from openfn.settings import get_settings

    settings = get_settings()
    if args.command == "paths":
        print(f"jobs_dir  {settings.jobs_dir}")
        print(f"js_dir    {settings.js_dir}")
        print(f"node      {settings.node}")
        return 0
    if args.command == "check":
        from openfn.cli import check

        lines, ok = check.run(args.folders or [settings.jobs_dir])
        print("\n".join(lines))
        return 0 if ok else 1
    if args.command == "js":
        from openfn.cli.javascript import install_runtime

        print("\n".join(install_runtime(settings.js_dir, settings.node)))
        return 0
    from openfn.cli import adaptors

    if args.action == "add":
        print("\n".join(adaptors.add(settings.js_dir, args.specs)))
        return 0
    from openfn.readers import load_projects

    report = load_projects(settings.jobs_dir)
    done, failed = adaptors.install_missing(report.projects, settings.js_dir, settings.node)
    print("\n".join(done))
    if failed:
        print("Not installed:\n" + "\n".join(f"  {line}" for line in failed), file=sys.stderr)
        return 1
    return 0
