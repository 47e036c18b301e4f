using Hangfire.Logging;

namespace Dashboard.Jobs;

/// <summary>
/// Hangfire keeps its log provider in a static, shared by every host in the process. This one
/// forwards to the host's logging and turns a log call that arrives after that host's logger
/// factory was disposed (another host in the same process, as in tests) into a no-op.
/// </summary>
internal sealed class HangfireLogProvider(ILoggerFactory factory) : ILogProvider
{
    private readonly Hangfire.AspNetCore.AspNetCoreLogProvider _inner = new(factory);

    public ILog GetLogger(string name) => new SafeLog(() => _inner.GetLogger(name));

    private sealed class SafeLog(Func<ILog> create) : ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string> messageFunc, Exception exception)
        {
            try
            {
                return create().Log(logLevel, messageFunc, exception);
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
