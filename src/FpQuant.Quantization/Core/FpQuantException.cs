namespace FpQuant.Core;

/// <summary>
/// An error the user can act on: bad input, a missing file, an option out of range.
/// The CLI prints its message as one line; anything else is a bug and gets a stack trace under --verbose.
/// The message is made one line and capped here (<see cref="ErrorText"/>), whatever a file put into it.
/// </summary>
public sealed class FpQuantException : Exception
{
    /// <summary>An error with this message (made one line).</summary>
    /// <param name="message">What is wrong and what to do.</param>
    public FpQuantException(string message) : base(ErrorText.OneLine(message)) { }
    /// <summary>An error with this message (made one line) and its cause.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="inner">The exception that caused it.</param>
    public FpQuantException(string message, Exception inner) : base(ErrorText.OneLine(message), inner) { }
}
