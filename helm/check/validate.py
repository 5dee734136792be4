"""Checks manifests rendered by `helm template` (one file per values set):
every document parses and validates against its schema, and the chart keeps
the names, sidecar wiring and Dapr semantics this project relies on.

  validate.py --dapr-src DIR --contrib-src DIR --local-dapr DIR \
              --kube-version 1.33 rendered.yaml...

Exit status 1 with one line per problem, 0 when all is well.
"""

import argparse
import pathlib
import sys

import yaml

import rules
from schemas import Sources


def load_documents(path):
    """The non-empty YAML documents of a file; a parse error names the file."""
    return [d for d in yaml.safe_load_all(pathlib.Path(path).read_text()) if d is not None]


def load_local_dapr(directory):
    directory = pathlib.Path(directory)
    files = sorted(directory.glob("components/*.yaml")) + [directory / "config.yaml"]
    return [d for f in files for d in load_documents(f)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dapr-src", required=True, help="the github.com/dapr/dapr module")
    parser.add_argument("--contrib-src", required=True, help="the github.com/dapr/components-contrib module")
    parser.add_argument("--local-dapr", required=True, help="the repository's dapr/ directory")
    parser.add_argument("--kube-version", required=True, help="Kubernetes version of the schemas")
    parser.add_argument("rendered", nargs="+")
    args = parser.parse_args(argv)

    sources = Sources(args.dapr_src, args.contrib_src, args.kube_version)
    local_docs = load_local_dapr(args.local_dapr)
    failed = False
    for path in args.rendered:
        try:
            docs = load_documents(path)
        except yaml.YAMLError as e:
            print(f"{path}: not YAML: {e}")
            failed = True
            continue
        errors = rules.check_all(docs, local_docs, sources)
        for error in errors:
            print(f"{path}: {error}")
        failed |= bool(errors)
        if not errors:
            kinds = sorted({d['kind'] for d in docs})
            print(f"{path}: {len(docs)} documents valid ({', '.join(kinds)})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
