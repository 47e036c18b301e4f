using Dashboard.Operations;
using Dashboard.Setup;

var builder = WebApplication.CreateBuilder(args);
if (args is ["backup", ..])
    return await StoreBackup.RunCommandAsync(args, builder.Configuration, Console.Out);
builder.AddDashboard();

var app = builder.Build();
app.MapDashboard();
app.Run();
return 0;

public partial class Program;
