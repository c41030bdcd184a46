"""HTTP translation of the emulated platform: thin routes over `Platform`."""
