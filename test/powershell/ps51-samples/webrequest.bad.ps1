[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
Invoke-WebRequest -Uri https://dl.k8s.io/release/stable.txt -OutFile C:\k\stable.txt # expect: ps51-webrequest-basic-parsing
$r = iwr https://dl.k8s.io/release/stable.txt # expect: ps51-webrequest-basic-parsing
curl https://dl.k8s.io/release/stable.txt # expect: ps51-webrequest-basic-parsing, ps51-alias-not-native
sc query kubelet # expect: ps51-alias-not-native, ps51-default-encoding
