// Streams module
