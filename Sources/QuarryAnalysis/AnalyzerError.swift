/// Why an `Analyzer` could not be made from its settings.
public struct AnalyzerError: Error, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: Sendable {
        /// `AnalyzerSettings.language` is neither a libstemmer algorithm nor `"none"`.
        case unknownLanguage
    }

    /// What went wrong, for code to switch on.
    public var code: Code
    /// A sentence for a person: what was wrong and what is accepted.
    public var message: String

    /// An error with the given code and message.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
