"""The renderer: inner and outer frustum on every LED wall. GL code lives in ``renderer.gl`` only; the modules
directly under ``renderer`` are pure numpy and import without GL or a display."""
