import Testing
@testable import MetaOptimize
