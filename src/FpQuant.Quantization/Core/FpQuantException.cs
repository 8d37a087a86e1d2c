namespace FpQuant.Core;

/// <summary>
/// An error the user can act on: bad input, a missing file, an option out of range.
/// The CLI prints its message as one line; anything else is a bug and gets a stack trace under --verbose.
/// The message is made one line and capped here (<see cref="ErrorText"/>), whatever a file put into it.
/// </summary>
public sealed class FpQuantException : Exception
{
    public FpQuantException(string message) : base(ErrorText.OneLine(message)) { }
    public FpQuantException(string message, Exception inner) : base(ErrorText.OneLine(message), inner) { }
}
