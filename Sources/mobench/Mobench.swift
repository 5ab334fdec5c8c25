import ArgumentParser
import Bench
import Datasets
import Foundation

/// Exit statuses: 0 success, 1 data or I/O error, 2 invalid settings (flags, config), 130 interrupted.
@main
struct Mobench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mobench",
        abstract: "Continual-learning benchmarks for step-size adaptation (MetaOptimize and baselines).",
        version: suiteVersion,
        subcommands: [RunCommand.self, SettingsCommand.self, SuiteCommand.self, SlurmCommand.self, MergeCommand.self, CompareCommand.self, PlotCommand.self, ReportCommand.self, ExportCommand.self, DataCommand.self, StreamCommand.self])

    static func main() {
        do {
            var command = try parseAsRoot(Arguments.joiningNegativeValues(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let failure as Failure {
            fail(failure.message, status: failure.status)
        } catch let error as SettingError {
            fail(error.description, status: 2)
        } catch let error as DatasetError {
            fail(error.description, status: 1)
        } catch let error as OutputError {
            fail(error.description, status: 1)
        } catch let code as ExitCode {
            // A status without a message (the command already printed what it has to say).
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // Unknown flags, missing or malformed values: one line, status 2 (the invalid-setting status).
                let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                fail(message + " (see mobench --help)", status: 2)
            }
            if code == .success || error is CleanExit { exit(withError: error) }
            // Anything else (e.g. a Foundation file error): one line naming the file and the cause, status 1.
            fail(oneLineDescription(error), status: 1)
        }
    }
}

/// A failure with a one-line message and an exit status.
struct Failure: Error {
    var message: String
    var status: Int32
}

func fail(_ message: String, status: Int32) -> Never {
    let text = message.hasPrefix("error:") ? message : "error: " + message
    FileHandle.standardError.write(Data((text + "\n").utf8))
    exit(status)
}

/// Runs `body`, turning known errors into `Failure` with the documented statuses.
func classify<T>(_ body: () throws -> T) throws -> T {
    do { return try body() }
    catch let error as SettingError { throw Failure(message: error.description, status: 2) }
    catch let error as Failure { throw error }
    catch let error as ExitCode { throw error }
    catch { throw Failure(message: oneLineDescription(error), status: 1) }
}
