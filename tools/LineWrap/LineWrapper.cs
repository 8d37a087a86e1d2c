using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace LineWrap;

/// <summary>
/// Wraps one C# file's lines to <see cref="MaxWidth"/> columns, one break at a time: it finds the first line over the
/// width, breaks it once (between two tokens, inside a string literal at a space, or in a comment at a word boundary),
/// parses again and repeats. Every break is checked: the file's tokens must be the same before and after (a split
/// literal may only add literals and '+'), else the next candidate is tried. Lines with no break that fits are left.
/// </summary>
internal static class LineWrapper
{
    public const int MaxWidth = 120;
    private const string Step = "    ";

    /// <summary>
    /// Leave interpolated strings whole: then every rewrite leaves the compiled IL byte for byte the same.
    /// </summary>
    public static bool KeepInterpolatedStrings { get; set; }

    private static readonly CSharpParseOptions ParseOptions =
        CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview);

    /// <summary>Kinds of break, best first; the number orders candidates at the same bracket depth.</summary>
    private enum BreakKind
    {
        AfterComma = 1,
        BeforeLogical = 2,
        BeforeConditional = 3,
        AfterAssignment = 4,
        BeforeChainedCall = 5,
        InsideString = 6,
        AfterOpenParen = 7,
        BeforeBinary = 8,
        BeforeMemberDot = 9,
    }

    private sealed record Candidate(BreakKind Kind, int Depth, int Position, int Rank, Func<string> Apply,
        bool SplitsString);

    public static string Wrap(string source)
    {
        var newline = source.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var unbreakable = new HashSet<string>(StringComparer.Ordinal);
        var current = source;
        for (var edits = 0; edits < 100_000; edits++)
        {
            var tree = CSharpSyntaxTree.ParseText(current, ParseOptions);
            var text = tree.GetText();
            var line = text.Lines.FirstOrDefault(l => l.Span.Length > MaxWidth && !unbreakable.Contains(l.ToString()));
            if (line.Span.Length <= MaxWidth)
            {
                return current;
            }

            var edited = TryBreak(tree, line, newline);
            if (edited is null)
            {
                unbreakable.Add(line.ToString());
            }
            else
            {
                current = edited;
            }
        }

        throw new InvalidOperationException(
            "LineWrap did not settle after 100000 edits: a break keeps undoing another.");
    }

    private static string? TryBreak(SyntaxTree tree, TextLine line, string newline)
    {
        var root = tree.GetRoot();
        var source = tree.GetText().ToString();
        var lineText = line.ToString();
        var indentLength = lineText.Length - lineText.TrimStart().Length;
        var first = line.Start + indentLength;
        var trivia = root.FindTrivia(first);
        if (trivia.IsDirective || trivia.IsKind(SyntaxKind.DisabledTextTrivia) ||
            trivia.IsKind(SyntaxKind.MultiLineCommentTrivia) ||
            trivia.IsKind(SyntaxKind.MultiLineDocumentationCommentTrivia) ||
            trivia.IsKind(SyntaxKind.PreprocessingMessageTrivia))
        {
            return null;
        }

        if (trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) && lineText.TrimStart().StartsWith("///"))
        {
            return Verified(root, CommentReflow(tree, line, "///", newline), splitsString: false);
        }

        if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) && trivia.SpanStart == first)
        {
            return Verified(root, CommentReflow(tree, line, "//", newline), splitsString: false);
        }

        var token = root.FindToken(first);
        if (token.SpanStart != first)
        {
            return null; // the line starts inside a token (a verbatim or raw string that spans lines)
        }

        var tokens = new List<SyntaxToken>();
        for (var t = token; !t.IsKind(SyntaxKind.None) && t.SpanStart < line.End; t = t.GetNextToken())
        {
            tokens.Add(t);
        }

        var moved = MoveTrailingComment(source, line, tokens, newline);
        if (moved is not null)
        {
            return Verified(root, moved, splitsString: false);
        }

        foreach (var candidate in Candidates(source, line, tokens, newline))
        {
            var edited = Verified(root, candidate.Apply(), candidate.SplitsString);
            if (edited is not null)
            {
                return edited;
            }
        }

        return null;
    }

    /// <summary>The edit, if the parse of it has the same tokens (or, for a split literal, no new errors).</summary>
    private static string? Verified(SyntaxNode before, string? edited, bool splitsString)
    {
        if (edited is null)
        {
            return null;
        }

        var after = CSharpSyntaxTree.ParseText(edited, ParseOptions).GetRoot();
        if (splitsString)
        {
            return Errors(after) <= Errors(before) ? edited : null;
        }

        var left = before.DescendantTokens(descendIntoTrivia: true).Where(t => !IsDocumentationText(t));
        var right = after.DescendantTokens(descendIntoTrivia: true).Where(t => !IsDocumentationText(t));
        return left.Select(t => (t.RawKind, t.Text)).SequenceEqual(right.Select(t => (t.RawKind, t.Text))) ? edited
            : null;
    }

    private static bool IsDocumentationText(SyntaxToken token) =>
        token.IsKind(SyntaxKind.XmlTextLiteralToken) || token.IsKind(SyntaxKind.XmlTextLiteralNewLineToken);

    private static int Errors(SyntaxNode root) =>
        root.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>Code that fits with its trailing `//` comment moved onto a line of its own above it.</summary>
    private static string? MoveTrailingComment(string source, TextLine line, List<SyntaxToken> tokens, string newline)
    {
        var last = tokens[^1];
        if (last.Span.End > line.End || last.Span.End - line.Start > MaxWidth)
        {
            return null;
        }

        var comment = last.TrailingTrivia.FirstOrDefault(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia));
        if (!comment.IsKind(SyntaxKind.SingleLineCommentTrivia) || comment.SpanStart >= line.End)
        {
            return null;
        }

        var lineText = line.ToString();
        var indent = lineText[..(lineText.Length - lineText.TrimStart().Length)];
        var first = line.Start + indent.Length;
        return source[..first] + comment.ToString() + newline + indent + source[first..last.Span.End] +
               source[comment.Span.End..];
    }

    private static IEnumerable<Candidate> Candidates(string source, TextLine line, List<SyntaxToken> tokens,
        string newline)
    {
        var lineText = line.ToString();
        var indent = lineText[..(lineText.Length - lineText.TrimStart().Length)];
        var contentEnd = line.Start + lineText.TrimEnd().Length;
        var firstToken = tokens[0];
        var previous = firstToken.GetPreviousToken();
        var candidates = new List<Candidate>();
        var depth = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var a = tokens[i];
            var depthBefore = depth;
            depth += Opens(a) ? 1 : Closes(a) ? -1 : 0;
            AddStringSplits(source, line, a, depthBefore, indent, newline, previous, firstToken, candidates);
            if (i + 1 >= tokens.Count)
            {
                break;
            }

            var b = tokens[i + 1];
            if (a.Span.End - line.Start > MaxWidth || b.SpanStart >= contentEnd)
            {
                continue;
            }

            var gap = source[a.Span.End..b.SpanStart];
            if (gap.Any(c => c is not (' ' or '\t')) || InsideInterpolatedString(a, b))
            {
                continue;
            }

            var kind = GapKind(a, b, firstToken);
            if (kind is null || (i + 2 == tokens.Count && kind is BreakKind.BeforeLogical or BreakKind.BeforeConditional
                    or BreakKind.BeforeChainedCall or BreakKind.BeforeBinary or BreakKind.BeforeMemberDot))
            {
                continue; // an operator that ends the line stays there: the next line carries on after it
            }

            var sameIndent =
                (kind == BreakKind.AfterComma && depth == 0 && ContinuesList(previous, firstToken)) ||
                (kind is BreakKind.BeforeLogical or BreakKind.BeforeConditional or BreakKind.BeforeChainedCall &&
                 SameOperator(firstToken, b));
            var continuation = sameIndent ? indent : indent + Step;
            var solves = continuation.Length + (contentEnd - b.SpanStart) <= MaxWidth;
            var rank = (int)kind;
            if (kind == BreakKind.AfterAssignment && !solves)
            {
                rank = (int)BreakKind.AfterOpenParen; // `x =` alone on a line helps only when the rest then fits
            }

            var start = a.Span.End;
            var end = b.SpanStart;
            var joinUntil = kind == BreakKind.AfterComma
                ? JoinableNextLine(source, line, tokens[^1], continuation, contentEnd - end)
                : -1;
            candidates.Add(new Candidate(kind.Value, depth, start, rank,
                () => joinUntil < 0
                    ? source[..start] + newline + continuation + source[end..]
                    : source[..start] + newline + continuation + source[end..contentEnd] + " " + source[joinUntil..],
                SplitsString: false));
        }

        // Strong breaks (commas, operators, chains, strings) at the shallowest depth first; then the weak ones, best
        // kind first.
        return candidates
            .OrderBy(c => c.Rank <= (int)BreakKind.InsideString ? 0 : 1)
            .ThenBy(c => c.Rank <= (int)BreakKind.InsideString ? c.Depth : c.Rank)
            .ThenBy(c => c.Rank <= (int)BreakKind.InsideString ? c.Rank : c.Depth)
            .ThenByDescending(c => c.Position);
    }

    /// <summary>
    /// Where the next line's code starts, when the broken line ended a list element with a comma and the next line
    /// carries on the same list at the continuation's indentation with room for the moved part; else -1.
    /// </summary>
    private static int JoinableNextLine(string source, TextLine line, SyntaxToken last, string continuation,
        int movedLength)
    {
        var lines = line.Text!.Lines;
        var number = lines.IndexOf(line.Start);
        if (!last.IsKind(SyntaxKind.CommaToken) || last.Span.End != line.Start + line.ToString().TrimEnd().Length ||
            last.TrailingTrivia.Any(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia)) || number + 1 >= lines.Count)
        {
            return -1;
        }

        var next = lines[number + 1];
        var nextText = next.ToString();
        var nextIndent = nextText.Length - nextText.TrimStart().Length;
        var nextToken = last.GetNextToken();
        if (nextIndent != continuation.Length || nextToken.SpanStart != next.Start + nextIndent ||
            nextToken.LeadingTrivia.Any(t =>
                t.Kind() is not (SyntaxKind.WhitespaceTrivia or SyntaxKind.EndOfLineTrivia)) ||
            continuation.Length + movedLength + 1 + nextText.TrimEnd().Length - nextIndent > MaxWidth)
        {
            return -1;
        }

        return nextToken.SpanStart;
    }

    private static bool Opens(SyntaxToken token) =>
        token.Kind() is SyntaxKind.OpenParenToken or SyntaxKind.OpenBracketToken or SyntaxKind.OpenBraceToken ||
        (token.IsKind(SyntaxKind.LessThanToken) && token.Parent is TypeArgumentListSyntax or TypeParameterListSyntax);

    private static bool Closes(SyntaxToken token) =>
        token.Kind() is SyntaxKind.CloseParenToken or SyntaxKind.CloseBracketToken or SyntaxKind.CloseBraceToken ||
        (token.IsKind(SyntaxKind.GreaterThanToken) && token.Parent is TypeArgumentListSyntax
            or TypeParameterListSyntax);

    private static BreakKind? GapKind(SyntaxToken a, SyntaxToken b, SyntaxToken firstToken)
    {
        if (a.IsKind(SyntaxKind.CloseParenToken) && !b.IsKind(SyntaxKind.OpenBraceToken) &&
            a.Parent is IfStatementSyntax or ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax
                or UsingStatementSyntax or LockStatementSyntax or FixedStatementSyntax &&
            b.Parent?.FirstAncestorOrSelf<StatementSyntax>() is { } body && body.Parent == a.Parent &&
            body.GetFirstToken() == b)
        {
            return BreakKind.AfterComma; // `if (...)` then its statement on the next line, indented
        }

        if (a.IsKind(SyntaxKind.CommaToken) && a.Parent is not ArrayRankSpecifierSyntax)
        {
            return BreakKind.AfterComma;
        }

        if (b.Kind() is SyntaxKind.AmpersandAmpersandToken or SyntaxKind.BarBarToken
            or SyntaxKind.QuestionQuestionToken &&
            b.Parent is BinaryExpressionSyntax)
        {
            return BreakKind.BeforeLogical;
        }

        if (b.Kind() is SyntaxKind.OrKeyword or SyntaxKind.AndKeyword && b.Parent is BinaryPatternSyntax)
        {
            return BreakKind.BeforeLogical;
        }

        if (b.Kind() is SyntaxKind.QuestionToken or SyntaxKind.ColonToken && b.Parent is ConditionalExpressionSyntax)
        {
            return BreakKind.BeforeConditional;
        }

        if ((a.IsKind(SyntaxKind.EqualsToken) && a.Parent is EqualsValueClauseSyntax or AssignmentExpressionSyntax) ||
            (a.IsKind(SyntaxKind.EqualsGreaterThanToken) && a.Parent is ArrowExpressionClauseSyntax
                or LambdaExpressionSyntax or SwitchExpressionArmSyntax) ||
            (a.Parent is AssignmentExpressionSyntax assignment && a == assignment.OperatorToken))
        {
            return BreakKind.AfterAssignment;
        }

        if (b.IsKind(SyntaxKind.DotToken) && b.Parent is MemberAccessExpressionSyntax &&
            a.Kind() is SyntaxKind.CloseParenToken or SyntaxKind.CloseBracketToken)
        {
            return BreakKind.BeforeChainedCall;
        }

        if (a.IsKind(SyntaxKind.OpenParenToken) && a.Parent is ArgumentListSyntax or ParameterListSyntax
                or AttributeArgumentListSyntax && !b.IsKind(SyntaxKind.CloseParenToken))
        {
            return BreakKind.AfterOpenParen;
        }

        if (b.Parent is BinaryExpressionSyntax binary && b == binary.OperatorToken)
        {
            return BreakKind.BeforeBinary;
        }

        if (b.IsKind(SyntaxKind.DotToken) && b.Parent is MemberAccessExpressionSyntax && a != firstToken)
        {
            return BreakKind.BeforeMemberDot;
        }

        return null;
    }

    /// <summary>
    /// The line is itself an element of a list broken over lines (after a comma or an opening bracket).
    /// </summary>
    private static bool ContinuesList(SyntaxToken previous, SyntaxToken firstToken)
    {
        if (previous.IsKind(SyntaxKind.CommaToken) || previous.IsKind(SyntaxKind.OpenParenToken) ||
            previous.IsKind(SyntaxKind.OpenBracketToken))
        {
            return true;
        }

        return previous.IsKind(SyntaxKind.OpenBraceToken) &&
               previous.Parent is InitializerExpressionSyntax or AnonymousObjectCreationExpressionSyntax
                   or SwitchExpressionSyntax;
    }

    private static bool SameOperator(SyntaxToken firstToken, SyntaxToken b) =>
        firstToken.RawKind == b.RawKind ||
        (firstToken.Kind() is SyntaxKind.QuestionToken or SyntaxKind.ColonToken &&
         b.Kind() is SyntaxKind.QuestionToken or SyntaxKind.ColonToken);

    private static bool InsideInterpolatedString(SyntaxToken a, SyntaxToken b)
    {
        for (var node = a.Parent; node is not null; node = node.Parent)
        {
            if (node is InterpolatedStringExpressionSyntax s &&
                a.Span.End >= s.StringStartToken.Span.End && b.SpanStart <= s.StringEndToken.SpanStart)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Splits a regular ("...") or interpolated ($"...") string literal that crosses the width into `"..." +` and
    /// `"..."` after a space, never inside an escape sequence or an interpolation hole.
    /// </summary>
    private static void AddStringSplits(string source, TextLine line, SyntaxToken token, int depth, string indent,
        string newline, SyntaxToken previous, SyntaxToken firstToken, List<Candidate> candidates)
    {
        ExpressionSyntax literal;
        string open;
        List<(int Start, int End)> textRuns;
        if (token.IsKind(SyntaxKind.StringLiteralToken) && token.Text.StartsWith('"') && token.Text.EndsWith('"') &&
            token.Text.Length >= 2 && token.Parent is LiteralExpressionSyntax literalExpression)
        {
            literal = literalExpression;
            open = "\"";
            textRuns = [(token.SpanStart + 1, token.Span.End - 1)];
        }
        else if (!KeepInterpolatedStrings && token.IsKind(SyntaxKind.InterpolatedStringStartToken) &&
                 token.Text == "$\"" &&
                 token.Parent is InterpolatedStringExpressionSyntax interpolated &&
                 interpolated.StringEndToken.IsKind(SyntaxKind.InterpolatedStringEndToken))
        {
            literal = interpolated;
            open = "$\"";
            textRuns = interpolated.Contents.OfType<InterpolatedStringTextSyntax>()
                .Select(t => (t.SpanStart, t.Span.End)).ToList();
        }
        else
        {
            return;
        }

        if (literal.SpanStart - line.Start >= MaxWidth || literal.Span.End > line.End ||
            !ConcatenationKeepsMeaning(literal)
                || literal.Parent?.FirstAncestorOrSelf<InterpolationSyntax>() is not null)
        {
            return;
        }

        // Split points: after a space outside escape sequences and holes. A split literal compiles to the same IL (the
        // compiler folds "a" + "b"); a split interpolated string builds the same text, but with one more literal
        // segment (one more append) unless the split falls just before a hole.
        var splits = new List<int>();
        foreach (var (start, end) in textRuns)
        {
            for (var p = start; p < end; p++)
            {
                if (source[p] == '\\')
                {
                    p++;
                    continue;
                }

                if (source[p] == ' ' && p + 1 > literal.SpanStart + open.Length + 1 &&
                    p + 1 < literal.Span.End - 1)
                {
                    splits.Add(p + 1);
                }
            }
        }

        // The rightmost split after which `" +` still fits; none when the piece after it (up to the next split point
        // or the end) could not fit on the next line either.
        var fitting = splits.Where(p => p - line.Start + 3 <= MaxWidth).ToList();
        if (fitting.Count == 0)
        {
            return;
        }

        var best = fitting.Max();
        var nextSplit = splits.Where(p => p > best).DefaultIfEmpty(literal.Span.End).Min();

        // A literal that starts its line as an element of a broken list (or the rest of an earlier split) stays
        // aligned.
        var continuesSplit = firstToken.SpanStart == literal.SpanStart &&
            (previous.IsKind(SyntaxKind.PlusToken) || ContinuesList(previous, firstToken));
        var continuation = continuesSplit ? indent : indent + Step;
        if (continuation.Length + open.Length + (nextSplit - best) + 2 > MaxWidth)
        {
            return;
        }

        // A split that leaves a word or two behind reads worse than a break before the literal.
        var rank = literal.Span.End - best < 16 ? (int)BreakKind.BeforeBinary : (int)BreakKind.InsideString;
        candidates.Add(new Candidate(BreakKind.InsideString, depth, best, rank,
            () => source[..best] + "\" +" + newline + continuation + open + source[best..], SplitsString: true));
    }

    /// <summary>Places where `a` may become `"x" + "y"` without changing what binds to what.</summary>
    private static bool ConcatenationKeepsMeaning(ExpressionSyntax literal) => literal.Parent switch
    {
        ArgumentSyntax or AttributeArgumentSyntax or EqualsValueClauseSyntax or ReturnStatementSyntax => true,
        YieldStatementSyntax => true,
        ArrowExpressionClauseSyntax or ThrowExpressionSyntax or ThrowStatementSyntax => true,
        InitializerExpressionSyntax or ExpressionElementSyntax or SwitchExpressionArmSyntax => true,
        ParenthesizedExpressionSyntax => true,
        AssignmentExpressionSyntax a => a.Right == literal,
        BinaryExpressionSyntax b => b.IsKind(SyntaxKind.AddExpression) ||
            (b.Right == literal && b.Kind() is SyntaxKind.CoalesceExpression or SyntaxKind.EqualsExpression
                or SyntaxKind.NotEqualsExpression),
        ConditionalExpressionSyntax c => c.Condition != literal,
        _ => false,
    };

    /// <summary>
    /// Breaks a `//` or `///` comment line at the last word boundary that fits; the rest goes to a new line with the
    /// same prefix and indentation, or joins the next line of the same paragraph when there is one.
    /// </summary>
    private static string? CommentReflow(SyntaxTree tree, TextLine line, string prefix, string newline)
    {
        var text = tree.GetText();
        var source = text.ToString();
        var lineText = line.ToString().TrimEnd();
        var prefixAt = lineText.IndexOf(prefix, StringComparison.Ordinal);
        var bodyAt = prefixAt + prefix.Length;
        while (bodyAt < lineText.Length && lineText[bodyAt] == ' ')
        {
            bodyAt++;
        }

        var lead = lineText[..bodyAt]; // indentation, prefix and the space after it
        var body = lineText[bodyAt..];
        if (prefix == "//" && body.StartsWith('/') || IsPreformatted(body) ||
            (prefix == "///" && InsideCode(text, line)))
        {
            return null;
        }

        if (prefix == "///" && body.StartsWith("<summary>", StringComparison.Ordinal) &&
            body.EndsWith("</summary>", StringComparison.Ordinal) && body.Length > "<summary></summary>".Length)
        {
            var open = lead.TrimEnd() + " <summary>";
            var inner = body["<summary>".Length..^"</summary>".Length].Trim();
            return source[..line.Start] + open + newline + lead + inner + newline + lead.TrimEnd() + " </summary>" +
                   source[line.End..];
        }

        var split = -1;
        var insideTag = false;
        for (var i = bodyAt; i < lineText.Length && i <= MaxWidth; i++)
        {
            var c = lineText[i];
            if (prefix == "///" && c == '<')
            {
                insideTag = true;
            }
            else if (prefix == "///" && c == '>')
            {
                insideTag = false;
            }
            else if (c == ' ' && !insideTag && i > bodyAt)
            {
                split = i;
            }
        }

        if (split < 0)
        {
            return null;
        }

        var head = lineText[..split].TrimEnd();
        var rest = lineText[split..].TrimStart();
        var lineNumber = text.Lines.IndexOf(line.Start);
        if (lineNumber + 1 < text.Lines.Count)
        {
            var next = text.Lines[lineNumber + 1];
            var nextText = next.ToString();
            if (nextText.StartsWith(lead, StringComparison.Ordinal) && nextText.Length > lead.Length &&
                char.IsLetter(nextText[lead.Length]) && !IsPreformatted(nextText[lead.Length..]) &&
                !rest.EndsWith(':') && SameCommentKind(tree, next, prefix, lead.Length - prefix.Length))
            {
                return source[..line.Start] + head + newline + lead + rest + " " + nextText[lead.Length..] +
                       source[next.End..];
            }
        }

        return source[..line.Start] + head + newline + lead + rest + source[line.End..];
    }

    private static bool SameCommentKind(SyntaxTree tree, TextLine next, string prefix, int prefixAt)
    {
        var trivia = tree.GetRoot().FindTrivia(next.Start + prefixAt);
        var kind = prefix == "///" ? SyntaxKind.SingleLineDocumentationCommentTrivia
            : SyntaxKind.SingleLineCommentTrivia;
        var nextText = next.ToString();
        return trivia.IsKind(kind) && (prefix == "///" || !nextText[(prefixAt + 2)..].StartsWith('/'));
    }

    /// <summary>Text laid out by hand (a table, a diagram, aligned columns): runs of spaces inside it.</summary>
    private static bool IsPreformatted(string body) => body.TrimEnd().Contains("   ", StringComparison.Ordinal) ||
        body.StartsWith('|') || (body.StartsWith("- ", StringComparison.Ordinal) &&
                                 body.Contains("  ", StringComparison.Ordinal));

    /// <summary>The doc-comment line is inside a &lt;code&gt; block opened on an earlier line of its comment.</summary>
    private static bool InsideCode(SourceText text, TextLine line)
    {
        var open = 0;
        for (var n = text.Lines.IndexOf(line.Start); n >= 0; n--)
        {
            var t = text.Lines[n].ToString().TrimStart();
            if (!t.StartsWith("///", StringComparison.Ordinal))
            {
                break;
            }

            open += Count(t, "<code>") - Count(t, "</code>");
        }

        return open > 0;
    }

    private static int Count(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0;
             at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
