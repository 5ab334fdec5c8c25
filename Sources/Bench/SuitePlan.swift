import Foundation
import Reports

/// One (configuration, seed) run of a suite.
public struct PlannedRun: Sendable, Equatable {
    /// `group/label` plus `/key=value` for each grid setting, e.g. `input-permuted/AdamW fixed/alpha0=0.001`.
    public var configurationID: String
    public var group: String
    public var label: String
    /// How summaries treat the run (the suite file's `method`, or what the optimizer kind says).
    public var method: MethodKind
    /// The comparison family (the optimizer kind's: the base rule of a fixed grid, e.g. `adamw`).
    public var family: String
    /// `group/label` when the method has a grid over `alpha0` (a fixed-α grid), else nil.
    public var grid: String?
    public var seed: UInt64
    /// The run's settings (seed included), validated.
    public var configuration: RunConfiguration
    /// Folder of the run's files, relative to the suite's output folder: `runs/<group>/<config>/seed-<s>`.
    public var directory: String
    /// Relative cost used to balance shards: planned samples × a model cost factor.
    public var expectedCost: Double
}

/// A suite expanded into its runs, in a fixed order (groups, methods, grid points in file order; seeds last).
public struct SuitePlan: Sendable {
    public var suite: SuiteFile
    public var runs: [PlannedRun]

    public init(_ suite: SuiteFile) throws {
        self.suite = suite
        var runs: [PlannedRun] = []
        var usedDirectories = Set<String>()
        for group in suite.groups {
            for method in group.methods {
                for point in Self.gridPoints(method.grid) {
                    var settings = suite.settings
                    settings.merge(group.settings) { $1 }
                    settings.merge(method.settings) { $1 }
                    for (key, value) in point { settings[key] = value }
                    let suffix = point.map { "/\($0.key)=\($0.value)" }.joined()
                    let configurationID = "\(group.name)/\(method.label)\(suffix)"
                    let dirName = slug(method.label) + point.map { "-\($0.key)=\(slug($0.value.description))" }.joined()
                    let configDirectory = "runs/\(slug(group.name))/\(dirName)"
                    guard usedDirectories.insert(configDirectory).inserted else {
                        throw SettingError.invalid("suite \(suite.name): two configurations map to the folder \(configDirectory); rename a label")
                    }
                    for seed in suite.seeds {
                        settings["seed"] = .number(Double(seed))
                        let json = JSONValue.object(settings).jsonText
                        let configuration = try RunConfiguration.decode(json: Data(json.utf8), source: "suite \(suite.name), \(configurationID)")
                        let validated: ValidatedConfiguration
                        do { validated = try ValidatedConfiguration(configuration) } catch let error as SettingError {
                            throw SettingError.invalid("suite \(suite.name), \(configurationID): \(error.description)")
                        }
                        let kind = method.method ?? validated.optimizerKind.methodKind(validated)
                        let hasAlphaGrid = method.grid.contains { $0.key == "alpha0" }
                        let c = validated.configuration
                        let samples = Double(c.tasks * (c.taskLength ?? 5000))
                        runs.append(PlannedRun(
                            configurationID: configurationID, group: group.name, label: method.label, method: kind,
                            family: validated.optimizerKind.family(validated),
                            grid: hasAlphaGrid ? "\(group.name)/\(method.label)" : nil, seed: seed,
                            configuration: c, directory: "\(configDirectory)/seed-\(seed)",
                            expectedCost: samples * Self.modelCost(c.model)))
                    }
                }
            }
        }
        self.runs = runs
    }

    /// Every combination of grid values (keys sorted; values in file order). One empty point without a grid.
    static func gridPoints(_ grid: [(key: String, values: [JSONValue])]) -> [[(key: String, value: JSONValue)]] {
        var points: [[(key: String, value: JSONValue)]] = [[]]
        for (key, values) in grid {
            points = points.flatMap { point in values.map { point + [(key: key, value: $0)] } }
        }
        return points
    }

    /// Rough relative cost per sample (multiply-adds of a forward pass, in millions, plus a floor).
    static func modelCost(_ model: String) -> Double {
        if model == "simple-cnn" { return 2.0 }
        if model.hasPrefix("mlp:") {
            let hidden = model.dropFirst(4).split(separator: ",").compactMap { Double($0) }
            var previous = 784.0, total = 0.0
            for h in hidden { total += previous * h; previous = h }
            return 0.05 + (total + previous * 10) / 1e6
        }
        return 0.05
    }

    /// The runs of shard `index` (0-based) of `count`: runs sorted by expected cost (descending, ties in plan
    /// order) are dealt greedily to the currently cheapest shard (ties → lowest shard), so shards have similar
    /// total cost. Deterministic; the shards partition the plan.
    public func shard(_ index: Int, of count: Int) -> [PlannedRun] {
        precondition(count >= 1 && index >= 0 && index < count)
        let order = runs.indices.sorted { runs[$0].expectedCost != runs[$1].expectedCost ? runs[$0].expectedCost > runs[$1].expectedCost : $0 < $1 }
        var load = [Double](repeating: 0, count: count)
        var owner = [Int](repeating: 0, count: runs.count)
        for i in order {
            let target = load.indices.min { load[$0] != load[$1] ? load[$0] < load[$1] : $0 < $1 }!
            owner[i] = target
            load[target] += runs[i].expectedCost
        }
        return runs.indices.filter { owner[$0] == index }.map { runs[$0] }
    }

    /// Runs whose configuration id matches `pattern`: a glob with `*` and `?` when it has either, else a substring.
    public static func filter(_ runs: [PlannedRun], only pattern: String?) -> [PlannedRun] {
        guard let pattern, !pattern.isEmpty else { return runs }
        if pattern.contains("*") || pattern.contains("?") {
            return runs.filter { globMatch(pattern: Array(pattern), text: Array($0.configurationID)) }
        }
        return runs.filter { $0.configurationID.contains(pattern) }
    }
}

func globMatch(pattern: [Character], text: [Character]) -> Bool {
    var p = 0, t = 0, star = -1, mark = 0
    while t < text.count {
        if p < pattern.count && (pattern[p] == "?" || pattern[p] == text[t]) { p += 1; t += 1 }
        else if p < pattern.count && pattern[p] == "*" { star = p; mark = t; p += 1 }
        else if star >= 0 { p = star + 1; mark += 1; t = mark }
        else { return false }
    }
    while p < pattern.count && pattern[p] == "*" { p += 1 }
    return p == pattern.count
}

/// Lowercase, letters/digits/`.`/`=`/`-` kept, everything else → `-`.
func slug(_ text: String) -> String {
    var out = ""
    for ch in text.lowercased() {
        if ch.isLetter && ch.isASCII || ch.isNumber && ch.isASCII || ch == "." || ch == "=" || ch == "-" || ch == "+" {
            out.append(ch)
        } else if out.last != "-" { out.append("-") }
    }
    while out.hasSuffix("-") { out.removeLast() }
    return out.isEmpty ? "x" : out
}
