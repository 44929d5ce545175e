"""The local AWS endpoint: moto in server mode in this process (moto_server.py), served over
HTTP/1.1 and cleartext HTTP/2 (http_server.py), with what it adds to moto: sequence numbers that
keep growing across restarts, enhanced fan-out refused clearly, tables read and written whole."""
