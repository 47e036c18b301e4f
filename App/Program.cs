using Dashboard.Setup;

var builder = WebApplication.CreateBuilder(args);
builder.AddDashboard();

var app = builder.Build();
app.MapDashboard();
app.Run();

public partial class Program;
