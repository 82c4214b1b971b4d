# hatchling reads this file with its default pattern: __version__ = "..."
__version__ = "1.2.3"
