# win-k8s diagnose: the Windows probe server, run in servercore of the node's own build (the
# agnhost test image has no Windows Server 2025 variant). It answers what agnhost netexec does:
#   HTTP on WIN_K8S_HTTP_PORT (8080): /hostname, /echo?msg=<text>, /healthz
#   UDP on WIN_K8S_UDP_PORT (8081): "echo <text>" -> "<text>", "hostname" -> the pod's name
$ErrorActionPreference = 'Stop'
$httpPort = 8080
if ($env:WIN_K8S_HTTP_PORT) { $httpPort = [int]$env:WIN_K8S_HTTP_PORT }
$udpPort = 8081
if ($env:WIN_K8S_UDP_PORT) { $udpPort = [int]$env:WIN_K8S_UDP_PORT }

# The UDP echo runs in its own process: PowerShell script blocks cannot serve socket callbacks.
$udpJob = Start-Job -ArgumentList $udpPort -ScriptBlock {
    param($port)
    $client = New-Object System.Net.Sockets.UdpClient -ArgumentList $port
    $from = New-Object System.Net.IPEndPoint -ArgumentList ([System.Net.IPAddress]::Any), 0
    while ($true) {
        $text = [System.Text.Encoding]::ASCII.GetString($client.Receive([ref]$from))
        $reply = $text
        if ($text -like 'echo *') { $reply = $text.Substring(5) }
        elseif ($text -eq 'hostname') { $reply = $env:COMPUTERNAME }
        $bytes = [System.Text.Encoding]::ASCII.GetBytes($reply)
        [void]$client.Send($bytes, $bytes.Length, $from)
    }
}

$listener = New-Object System.Net.HttpListener
$listener.Prefixes.Add(('http://+:{0}/' -f $httpPort))
$listener.Start()
Write-Output ('WIN-K8S-PROBE-SERVER listening on {0}/tcp and {1}/udp (udp job {2})' -f $httpPort, $udpPort, $udpJob.State)
while ($listener.IsListening) {
    $context = $listener.GetContext()
    try {
        $path = $context.Request.Url.AbsolutePath
        $body = $null
        if ($path -eq '/hostname') { $body = $env:COMPUTERNAME }
        elseif ($path -eq '/echo') { $body = [string]$context.Request.QueryString['msg'] }
        elseif ($path -eq '/healthz') { $body = 'ok' }
        if ($null -eq $body) {
            $context.Response.StatusCode = 404
            $body = 'not found'
        }
        $bytes = [System.Text.Encoding]::UTF8.GetBytes($body)
        $context.Response.ContentLength64 = $bytes.Length
        $context.Response.OutputStream.Write($bytes, 0, $bytes.Length)
    }
    catch {
        Write-Output ('WIN-K8S-PROBE-SERVER error {0}' -f $_.Exception.Message)
    }
    finally {
        $context.Response.Close()
    }
}
