[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
Invoke-WebRequest -UseBasicParsing -Uri https://dl.k8s.io/release/stable.txt -OutFile C:\k\stable.txt
# Invoke-RestMethod builds no HTML DOM: -UseBasicParsing is optional there.
$release = Invoke-RestMethod -Uri https://api.github.com/repos/containerd/containerd/releases/latest
& curl.exe --silent --fail https://dl.k8s.io/release/stable.txt
& sc.exe query kubelet
