"""A contract type of our own for import-linter (`make lint`, [tool.importlinter] in pyproject.toml):
the packages it names import nothing but the standard library and one another. import-linter's own
types forbid modules by name, which cannot say "nothing else": a new dependency would pass."""

import sys

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


class StandardLibraryOnly(Contract):
    type_name = "standard_library_only"
    source_modules = fields.ListField(subfield=fields.ModuleField())
    """Packages whose modules may import only the standard library and the modules of these."""

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        sources = [module.name for module in self.source_modules]  # type: ignore[attr-defined]

        def inside(name: str) -> bool:
            return any(name == source or name.startswith(f"{source}.") for source in sources)

        illegal = [
            f"{detail['importer']} -> {imported} (l.{detail['line_number']}: {detail['line_contents']})"
            for importer in sorted(filter(inside, graph.modules))
            for imported in sorted(graph.find_modules_directly_imported_by(importer))
            if not inside(imported) and imported.split(".")[0] not in sys.stdlib_module_names
            for detail in graph.get_import_details(importer=importer, imported=imported)
        ]
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for line in check.metadata["illegal"]:
            output.print_error(line, bold=False)
            output.new_line()
