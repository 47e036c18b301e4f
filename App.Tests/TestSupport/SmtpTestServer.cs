using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dashboard.Tests.TestSupport;

/// <summary>
/// A local SMTP server speaking just enough of the protocol for a client to deliver mail: EHLO/HELO,
/// MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT. Each delivered message is kept raw (headers and body).
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public sealed record Message(string From, IReadOnlyList<string> To, string Data);

    public ConcurrentQueue<Message> Messages { get; } = new();

    public SmtpTestServer()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Task.Run(() => ServeAsync(client));
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 localhost test SMTP");
        string from = "";
        var to = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO": await writer.WriteLineAsync("250 localhost"); break;
                case "HELO": await writer.WriteLineAsync("250 localhost"); break;
                case "MAIL": from = Address(line); to.Clear(); await writer.WriteLineAsync("250 OK"); break;
                case "RCPT": to.Add(Address(line)); await writer.WriteLineAsync("250 OK"); break;
                case "DATA":
                    await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync() is { } l && l != ".")
                        data.Append(l.StartsWith("..") ? l[1..] : l).Append("\r\n");
                    Messages.Enqueue(new Message(from, to.ToList(), data.ToString()));
                    await writer.WriteLineAsync("250 OK queued");
                    break;
                case "RSET": to.Clear(); await writer.WriteLineAsync("250 OK"); break;
                case "NOOP": await writer.WriteLineAsync("250 OK"); break;
                case "QUIT": await writer.WriteLineAsync("221 Bye"); return;
                default: await writer.WriteLineAsync("502 Command not implemented"); break;
            }
        }
    }

    private static string Address(string line) => line[(line.IndexOf(':') + 1)..].Trim().Split(' ')[0].Trim('<', '>');

    /// <summary>The decoded text of the message's part of the content type (base64 or plain).</summary>
    public static string Part(string data, string contentType)
    {
        var start = data.IndexOf("Content-Type: " + contentType, StringComparison.OrdinalIgnoreCase);
        if (start < 0) throw new InvalidOperationException($"no {contentType} part");
        var headersEnd = data.IndexOf("\r\n\r\n", start, StringComparison.Ordinal);
        var headers = data[start..headersEnd];
        var bodyEnd = data.IndexOf("\r\n--", headersEnd, StringComparison.Ordinal);
        var body = data[(headersEnd + 4)..(bodyEnd < 0 ? data.Length : bodyEnd)];
        return headers.Contains("base64", StringComparison.OrdinalIgnoreCase)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(body.Replace("\r\n", "")))
            : body;
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
