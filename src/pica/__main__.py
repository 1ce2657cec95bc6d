from pica.cli import app

app(prog_name="pica")
