"""Sub-commands of the ``stage`` CLI, one module each (see ``stage.app.cli.COMMAND_MODULES``)."""
