// MetaOptimize module
