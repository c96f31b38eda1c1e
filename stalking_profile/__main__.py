"""`python -m stalking_profile` runs the CLI."""

from stalking_profile.cli import main

main()
