"""Export real photos from public git repository snapshots into photo folders.

Each snapshot is a bare git directory brought by the search tool's ``fetch`` (for example
``/work/.mirror/thunderInfy+imagenette/repo``). The photos go into ``<output>/<name>/`` with a
``SOURCE.json`` manifest naming the repository, commit, path and blob of every photo (and what
was skipped: unreadable, grayscale, too small). Keep the output outside the project.

    python scripts/export_snapshot.py --output ../photos \\
        imagenette=/work/.mirror/thunderInfy+imagenette/repo \\
        caltech101=/work/.mirror/rubenIng93+Homework2-Caltech101/repo/.git

Names are the keys of ``colorkit.data.snapshots.SNAPSHOT_SOURCES``. ``--summary FILE`` also
writes, per collection, the repository, commits, paths, photo counts per split and what was
skipped (the provenance the model card states; each folder's ``SOURCE.json`` lists every photo).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from colorkit import atomic
from colorkit.data import datasets, snapshots


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="parent folder of the photo folders")
    parser.add_argument(
        "sources", nargs="+", metavar="NAME=GIT_DIR", help="collection name and its git directory"
    )
    parser.add_argument("--summary", help="JSON file: each collection's provenance and counts")
    args = parser.parse_args(argv)
    summary = {}
    for item in args.sources:
        name, _, git_dir = item.partition("=")
        if name not in snapshots.SNAPSHOT_SOURCES or not git_dir:
            parser.error(
                f"expected NAME=GIT_DIR with NAME one of {sorted(snapshots.SNAPSHOT_SOURCES)}. "
                f"Received: {item!r}"
            )
        folder = Path(args.output) / name
        if (folder / snapshots.MANIFEST).exists():
            print(f"{name}: already exported in {folder}")
            manifest = json.loads((folder / snapshots.MANIFEST).read_text())
        else:
            manifest = snapshots.export_snapshot(git_dir, folder, snapshots.SNAPSHOT_SOURCES[name])
        print(
            f"{name}: {manifest['num_photos']} photos, skipped {manifest['skipped_reasons']}",
            flush=True,
        )
        splits = [datasets.hashed_split(photo["name"]) for photo in manifest["photos"]]
        summary[name] = {
            key: manifest[key] for key in ("repository", "commits", "prefixes", "terms")
        } | {
            "photos": manifest["num_photos"],
            "skipped": manifest["skipped_reasons"],
            "splits": {split: splits.count(split) for split in ("train", "val", "test")},
        }
    if args.summary:
        atomic.write_json(args.summary, summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
