import ArgumentParser
import Bench

/// Prints the table of run settings (the same table `mobench run --help` shows), or README's Markdown version.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "List every run setting: flag, JSON key, default and meaning.")

    @Flag(help: "Print README's Markdown table instead of the --help text.") var markdown = false

    func run() throws {
        print(markdown ? RunConfiguration.table.markdownTable() : RunConfiguration.table.helpText())
    }
}
