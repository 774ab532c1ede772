"""The application: the ``stage`` command line and the orchestrator. May import everything below it: the core,
``tracking`` and ``renderer``."""
