# win-k8s diagnose: one network probe, run in a Windows pod (Windows PowerShell 5.1, servercore).
# Its result is its exit code and its log: one line per attempt, read back through the API.
#   WIN-K8S-PROBE ok <label> <milliseconds>
#   WIN-K8S-PROBE fail <label> <reason>
# Targets come as JSON in WIN_K8S_PROBE_TARGETS; every target is tried WIN_K8S_PROBE_REPEAT
# times, one second apart, because HNS faults are often intermittent.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$targets = @($env:WIN_K8S_PROBE_TARGETS | ConvertFrom-Json)
$repeat = 10
if ($env:WIN_K8S_PROBE_REPEAT) { $repeat = [int]$env:WIN_K8S_PROBE_REPEAT }
$timeoutSec = 5
if ($env:WIN_K8S_PROBE_ATTEMPT_TIMEOUT) { $timeoutSec = [int]$env:WIN_K8S_PROBE_ATTEMPT_TIMEOUT }

function Test-NameError($record) {
  if ([string]$record.FullyQualifiedErrorId -like 'DNS_ERROR_RCODE_NAME_ERROR,*') { return $true }
  $e = $record.Exception
  while ($null -ne $e) {
    if ($e -is [System.ComponentModel.Win32Exception] -and $e.NativeErrorCode -eq 9003) { return $true }
    $e = $e.InnerException
  }
  return $false
}

function Test-Dns($t) {
  $params = @{ Name = $t.name; Type = 'A'; DnsOnly = $true; QuickTimeout = $true; ErrorAction = 'Stop' }
  if ($t.server) { $params.Server = $t.server }
  if ($t.tcp) { $params.TcpOnly = $true }
  try {
    $answers = @(Resolve-DnsName @params | Where-Object { $_.Type -eq 'A' })
  } catch {
    # NXDOMAIN is what the negative control wants. Resolve-DnsName reports it as the error id
    # DNS_ERROR_RCODE_NAME_ERROR over a Win32Exception whose NativeErrorCode is 9003 (its HResult
    # is E_FAIL, and its message is in the node's language): both are checked, never the text.
    $nx = Test-NameError $_
    if ($t.expect -eq 'nxdomain' -and $nx) { return $null }
    if ($nx) { return "NXDOMAIN for $($t.name)" }
    return "no answer for $($t.name): $($_.Exception.Message)"
  }
  if ($t.expect -eq 'nxdomain') { return "$($t.name) resolved to $($answers[0].IPAddress); expected NXDOMAIN" }
  if ($answers.Count -eq 0) { return "no A record for $($t.name)" }
  return $null
}

function Test-Http($t) {
  # curl's stderr must stay text: under 'Stop', Windows PowerShell 5.1 turns a native command's
  # first stderr line into a terminating error.
  $ErrorActionPreference = 'Continue'
  $out = Join-Path $env:TEMP 'win-k8s-probe.body'
  $code = & curl.exe --silent --show-error --fail --max-time $timeoutSec --output $out --write-out '%{http_code}' $t.url 2>&1
  if ($LASTEXITCODE -ne 0) { return "curl exit $LASTEXITCODE ($code)" }
  if ($t.minBytes) {
    $size = (Get-Item $out).Length
    if ($size -lt [int]$t.minBytes) { return "body of $size bytes, expected at least $($t.minBytes)" }
  }
  return $null
}

function Test-Tcp($t) {
  $client = New-Object System.Net.Sockets.TcpClient
  try {
    $pending = $client.BeginConnect($t.host, [int]$t.port, $null, $null)
    if (-not $pending.AsyncWaitHandle.WaitOne($timeoutSec * 1000)) { return "TCP connect to $($t.host):$($t.port) timed out" }
    $client.EndConnect($pending)
    return $null
  } catch {
    return "TCP connect to $($t.host):$($t.port) failed: $($_.Exception.InnerException.Message)"
  } finally {
    $client.Close()
  }
}

function Test-Udp($t) {
  $udp = New-Object System.Net.Sockets.UdpClient
  try {
    $udp.Client.ReceiveTimeout = $timeoutSec * 1000
    $word = 'win-k8s-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $bytes = [System.Text.Encoding]::ASCII.GetBytes("echo $word")
    [void]$udp.Send($bytes, $bytes.Length, $t.host, [int]$t.port)
    $from = New-Object System.Net.IPEndPoint([System.Net.IPAddress]::Any, 0)
    $reply = [System.Text.Encoding]::ASCII.GetString($udp.Receive([ref]$from))
    if ($reply.Trim() -ne $word) { return "UDP echo from $($t.host):$($t.port) answered '$reply'" }
    return $null
  } catch {
    return "no UDP echo from $($t.host):$($t.port): $($_.Exception.Message)"
  } finally {
    $udp.Close()
  }
}

# A probe next to its server in one pod waits for it to listen: containers start together.
if ($env:WIN_K8S_PROBE_WAIT_FOR_TCP) {
  $waitHost, $waitPort = $env:WIN_K8S_PROBE_WAIT_FOR_TCP -split ':'
  $until = (Get-Date).AddSeconds(60)
  while ((Get-Date) -lt $until -and $null -ne (Test-Tcp @{ host = $waitHost; port = $waitPort })) { Start-Sleep -Seconds 1 }
}

$failed = 0
for ($round = 1; $round -le $repeat; $round++) {
  foreach ($t in $targets) {
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    # Whatever goes wrong in one attempt is that attempt's result: every target gets its ten tries.
    try {
      $problem = switch ($t.kind) {
        'dns' { Test-Dns $t }
        'http' { Test-Http $t }
        'tcp' { Test-Tcp $t }
        'udp' { Test-Udp $t }
        default { "unknown probe kind $($t.kind)" }
      }
    } catch {
      $problem = "probe error: $($_.Exception.Message)"
    }
    if ($problem) {
      $failed++
      $line = ($problem -replace '\s+', ' ')
      Write-Output "WIN-K8S-PROBE fail $($t.label) $line"
    } else {
      Write-Output "WIN-K8S-PROBE ok $($t.label) $($watch.ElapsedMilliseconds)"
    }
  }
  if ($round -lt $repeat) { Start-Sleep -Seconds 1 }
}
if ($failed -gt 0) { exit 1 }
exit 0
