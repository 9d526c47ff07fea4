"""Virtual devices replaying PhysioNet records over the real protocol."""
