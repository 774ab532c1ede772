"""Stage geometry in pure numpy: wall sections, pixel position maps, projection math.

Nothing here imports OpenGL or needs a display.
"""
