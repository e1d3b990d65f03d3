namespace WinK8sSim {
    public class Identity {
        public string Name = "NT AUTHORITY\\SYSTEM";
        public static Identity GetCurrent() { return new Identity(); }
    }
    public class Principal {
        public Principal(Identity identity) {}
        public bool IsInRole(object role) { return System.Environment.GetEnvironmentVariable("WIN_K8S_SIM_ADMIN") != "0"; }
    }
    // COM1 as the clouds capture it: every line lands in a file the test reads.
    public class SerialPort {
        private string name;
        private bool open;
        public int WriteTimeout;
        public SerialPort(string name, int baud, object parity, int dataBits, object stopBits) { this.name = name; }
        public void Open() {
            if (System.Environment.GetEnvironmentVariable("WIN_K8S_SIM_NO_COM1") == "1") {
                throw new System.UnauthorizedAccessException("Access to the port '" + name + "' is denied.");
            }
            open = true;
        }
        public void WriteLine(string line) {
            if (!open) { throw new System.InvalidOperationException("The port is closed."); }
            System.IO.File.AppendAllText(System.Environment.GetEnvironmentVariable("WIN_K8S_SIM_COM1"), line + "\n");
        }
        public void Close() { open = false; }
    }
}
