"""A tiny command line."""

import argparse


def greeting() -> str:
    """What the command prints."""
    return "hello from pub-hatch-cli"


def main() -> None:
    """Parse the arguments and greet."""
    parser = argparse.ArgumentParser(prog="pub-hatch-cli", description="Say hello.")
    parser.parse_args()
    print(greeting())
