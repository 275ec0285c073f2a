"""``python -m colorkit`` runs the command-line interface."""

from colorkit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
