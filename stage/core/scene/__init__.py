"""Pure loaders for scene assets (images, glTF): bytes in, numpy out; no GL, no side effects at import."""
