"""``python -m audit``: the same as the ``audit`` command."""

from audit.cli import main

if __name__ == "__main__":
    main()
