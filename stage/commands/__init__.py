"""Sub-commands of the ``stage`` CLI, one module each (see ``stage.cli.COMMAND_MODULES``)."""
